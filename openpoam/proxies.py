"""Which reverse proxies to believe, and the client behind them.

OPENPOAM_TRUSTED_PROXIES lists the addresses or networks (comma-separated, e.g.
"127.0.0.1, 10.0.0.0/8") of the proxies in front of the app servers. Empty by default:
then X-Forwarded-For/-Proto/-Host are ignored from everyone and the TCP peer is the client.

This is a Django middleware rather than waitress's own trusted_proxy setting because
waitress trusts one address (no networks, no list), forgets the TCP peer once it rewrites
REMOTE_ADDR, and covers only `openpoam serve`; the middleware applies the same rule under
any WSGI server and keeps the peer in request.META["OPENPOAM_PEER_ADDR"], so code that must
know whether a header came through a trusted proxy (single sign-on headers) can ask
peer_is_trusted(request).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
PEER_KEY = "OPENPOAM_PEER_ADDR"
_FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
              "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED")


def parse_trusted_proxies(text: str | None) -> tuple[Network, ...]:
    """'10.0.0.1, 192.168.0.0/16' -> networks. A bad entry is a configuration error naming it."""
    networks = []
    for entry in (text or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"OPENPOAM_TRUSTED_PROXIES: {entry!r} is not an IP address or network "
                "(e.g. 127.0.0.1 or 10.0.0.0/8)") from None
    return tuple(networks)


def trusted_networks() -> tuple[Network, ...]:
    """The configured proxies (settings.OPENPOAM_TRUSTED_PROXIES, read from the environment)."""
    configured = getattr(settings, "OPENPOAM_TRUSTED_PROXIES", None)
    if configured is None:
        configured = os.environ.get("OPENPOAM_TRUSTED_PROXIES", "")
    if isinstance(configured, str):
        return _parsed(configured)
    return _parsed(",".join(configured))


@lru_cache(maxsize=8)
def _parsed(text: str) -> tuple[Network, ...]:
    return parse_trusted_proxies(text)


def is_trusted(address: str | None, networks: Iterable[Network] | None = None) -> bool:
    ip = _ip(address)
    if ip is None:
        return False
    return any(ip in net for net in (trusted_networks() if networks is None else networks))


def peer_address(request) -> str:
    """The direct TCP peer, also after the middleware has put the client in REMOTE_ADDR."""
    meta = request.META
    return meta.get(PEER_KEY, meta.get("REMOTE_ADDR", "")) or ""


def peer_is_trusted(request) -> bool:
    """Is the direct TCP peer one of the trusted proxies?"""
    return is_trusted(peer_address(request))


def client_address(request) -> str:
    """The client: from a trusted peer, the rightmost X-Forwarded-For address that is not a
    trusted proxy (addresses left of it were written by the client and prove nothing);
    otherwise the peer itself."""
    peer = peer_address(request)
    if not is_trusted(peer):
        return peer
    if PEER_KEY in request.META:  # already resolved by the middleware
        return request.META.get("REMOTE_ADDR", "") or ""
    return _client_from_chain(peer, request.META.get("HTTP_X_FORWARDED_FOR", ""))


def _client_from_chain(peer: str, forwarded_for: str) -> str:
    chain = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    for hop in reversed(chain):
        ip = _ip(hop)
        if ip is None:
            return peer  # a garbled hop: believe nothing further left
        if not is_trusted(str(ip)):
            return str(ip)
    return str(_ip(chain[0])) if chain else peer  # every hop a proxy: the leftmost one


def _ip(text: str | None):
    text = (text or "").strip()
    if text.startswith("[") and "]" in text:  # "[::1]:port"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "1.2.3.4:port"
        text = text.split(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _last(value: str) -> str:
    """The value the nearest proxy wrote: the last of a comma-separated list."""
    return value.split(",")[-1].strip()


class ProxyHeadersMiddleware:
    """First in MIDDLEWARE: from a trusted peer, X-Forwarded-For/-Proto/-Host become
    REMOTE_ADDR, the scheme and the host; from anyone else they are removed, so nothing
    later (Django's get_host, is_secure, the sign-in lockout, the audit trail) reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "") or ""
        meta[PEER_KEY] = peer
        if is_trusted(peer):
            meta["REMOTE_ADDR"] = _client_from_chain(peer, meta.get("HTTP_X_FORWARDED_FOR", ""))
            proto = _last(meta.get("HTTP_X_FORWARDED_PROTO", "")).lower()
            if proto in ("http", "https"):
                meta["wsgi.url_scheme"] = proto
            host = _last(meta.get("HTTP_X_FORWARDED_HOST", ""))
            if host:
                meta["HTTP_HOST"] = host
        for key in _FORWARDED:
            meta.pop(key, None)
        return self.get_response(request)
