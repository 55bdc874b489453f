"""What web scanners (ZAP, Burp) share: HTML fragments as plain text, and sites as assets.

HTML fragments from scanner reports as readable plain text:

Descriptions in these reports are HTML (``<p>``, ``<ul><li>``, ``<a href>``); a POA&M
field is plain text and is never rendered as HTML, so tags are dropped, block elements
become line breaks, list items get a dash, and entities are decoded. Links are collected
separately so they can become references. Uses the standard library's tolerant HTML
tokenizer: no DTD, no entities beyond HTML's own, no network.
"""

from __future__ import annotations

import ipaddress
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from openpoam.domain.findings import Asset, Target

_BLOCKS = {"p", "div", "br", "ul", "ol", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
           "pre", "blockquote", "hr"}
_SKIP = {"script", "style"}
_URL = re.compile(r"https?://[^\s<>\"']+")


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(("http://", "https://")):
                self.links.append(href.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:  # not "li": the next item starts its own line
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(fragment: str | None) -> str:
    """Readable text of an HTML fragment; plain text passes through unchanged."""
    return _parse(fragment)[0]


def html_links(fragment: str | None) -> list[str]:
    """Link targets (``href``) and bare URLs in an HTML fragment, in order, without repeats."""
    text, links = _parse(fragment)
    return list(dict.fromkeys([*links, *(u.rstrip(".,;)") for u in _URL.findall(text))]))


def _parse(fragment: str | None) -> tuple[str, list[str]]:
    if not fragment:
        return "", []
    parser = _TextParser()
    parser.feed(fragment)
    parser.close()
    text = "".join(parser.parts)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, parser.links


def site_asset(url: str, *, host: str = "", port: str = "", ssl: str = "") -> tuple[Asset, str]:
    """Asset keyed ``scheme://host:port`` (lower case, explicit port) and the port.

    An IPv6 host is written in brackets and compressed (RFC 3986 section 3.2.2,
    RFC 5952): ``https://[2001:db8::10]:443``, never the ambiguous ``2001:db8::10:443``.
    """
    parts = urlsplit(url.strip())
    scheme = (parts.scheme or ("https" if ssl.lower() == "true" else "http")).lower()
    hostname = (host or parts.hostname or "").strip().strip("[]").lower()
    try:
        number = port.strip() or (str(parts.port) if parts.port else "")
    except ValueError:
        number = port.strip()
    if not number:
        number = "443" if scheme == "https" else "80"
    address = _address(hostname)
    if address is not None:
        hostname = address.compressed
    shown = f"[{hostname}]" if address is not None and address.version == 6 else hostname
    key = f"{scheme}://{shown}:{number}"
    return Asset(key=key, name=url.strip() or key, kind="url",
                 ip=hostname if address else "", fqdn="" if address else hostname), number


def site_targets(scope: str, site: Asset) -> list[Target]:
    """The site as a scanned target; an IPv6 site also under the unbracketed key earlier
    versions gave it (``https://2001:db8::10:443``), so the assets stored under that key
    count as covered and are remediated once, instead of staying open for ever."""
    targets = [Target(scope, site)]
    if ":" in site.ip:
        former = site.key.replace(f"[{site.ip}]", site.ip, 1)
        targets.append(Target(scope, Asset(key=former, name=site.name, kind=site.kind,
                                           ip=site.ip)))
    return targets


def _address(hostname: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(hostname)
    except ValueError:
        return None
