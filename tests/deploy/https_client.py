"""A small HTTP(S) client that binds a chosen source address and keeps cookies.

The address matters: the app must record the client (127.0.0.2), not the proxy (127.0.0.1).
"""

from __future__ import annotations

import http.client
import re
import ssl
from http.cookies import SimpleCookie
from urllib.parse import urlencode


class Client:
    def __init__(self, port: int, *, tls: bool, source: str = "127.0.0.2") -> None:
        self.port, self.tls, self.source = port, tls, source
        self.cookies: dict[str, str] = {}
        self.base = f"{'https' if tls else 'http'}://localhost:{port}"

    def request(self, method: str, path: str, *, form: dict | None = None,
                headers: dict | None = None) -> tuple[int, dict, str]:
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection("localhost", self.port, timeout=30,
                                               source_address=(self.source, 0), context=context)
        else:
            conn = http.client.HTTPConnection("localhost", self.port, timeout=30,
                                              source_address=(self.source, 0))
        sent = {"Host": f"localhost:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Referer"] = self.base + path
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            conn.close()

    def sign_in(self, username: str, password: str,
                headers: dict | None = None) -> tuple[int, dict, str]:
        status, _headers, page = self.request("GET", "/login/", headers=headers)
        assert status == 200, (status, page[:300])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        return self.request("POST", "/login/", headers=headers, form={
            "csrfmiddlewaretoken": token, "username": username, "password": password})
