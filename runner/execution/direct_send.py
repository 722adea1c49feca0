"""The scenario's JSON POSTs, handed straight to the transport httpx would pick.

``AsyncClient.send`` rebuilds the same things for every call: it parses and
merges the URL, normalises the headers, walks the auth and redirect layers and
turns every answer into a ``urllib`` request to look for cookies. For a run's
thousands of POSTs to a handful of paths that was about a quarter of the
client's time per call (docs/performance.md). Here the merged URLs are kept,
the client's headers are copied as they are, and the request goes to the
transport the client itself would use for that URL (``_transport_for_url``:
the lean transport, a proxy from the environment, or the embedded mock's ASGI
app), so timeouts, TLS and proxies stay exactly httpx's. Cookies are still
honoured, looked at only when an answer sets one.

Anything this path does not cover (credentials in the URL, client-level auth
or event hooks, an httpx without ``_transport_for_url``) goes through
``AsyncClient.send`` as before.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

_MAX_URLS = 1024  # a long run opens many sessions: keep the newest paths only


class DirectSender:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http
        self._urls: dict[str, httpx.URL] = {}
        self._transport: httpx.AsyncBaseTransport | None = None
        self._timeouts: dict[float, dict[str, float | None]] = {}

    @classmethod
    def for_client(cls, http: httpx.AsyncClient) -> DirectSender | None:
        """A sender for ``http``, or None when its requests need httpx's own layers."""
        pick = getattr(http, "_transport_for_url", None)
        hooks = http.event_hooks
        if (pick is None or http.auth is not None or http.base_url.userinfo
                or hooks.get("request") or hooks.get("response")):
            return None
        sender = cls(http)
        transport = pick(http.base_url)
        if not isinstance(transport, httpx.AsyncBaseTransport):
            return None
        sender._transport = transport
        return sender

    def _url(self, path: str) -> httpx.URL:
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _MAX_URLS:
                self._urls.clear()
            # Merged as httpx merges a relative URL onto base_url (which ends in "/").
            base = self._http.base_url
            relative = httpx.URL(path)
            url = self._urls[path] = (
                base.copy_with(raw_path=base.raw_path + relative.raw_path.lstrip(b"/"))
                if relative.is_relative_url else self._http.build_request("POST", path).url)
        return url

    def _timeout(self, seconds: float) -> dict[str, float | None]:
        limits = self._timeouts.get(seconds)
        if limits is None:
            limits = self._timeouts[seconds] = httpx.Timeout(seconds).as_dict()
        return dict(limits)  # a transport may keep what it is given

    async def post(self, path: str, body: Any, timeout: float) -> httpx.Response:
        """Send ``body`` as JSON, as ``build_request`` + ``send(stream=True)`` would."""
        assert self._transport is not None
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"),
                             allow_nan=False).encode("utf-8")
        request = httpx.Request("POST", self._url(path), headers=self._http.headers,
                                content=content,
                                extensions={"timeout": self._timeout(timeout)})
        request.headers["Content-Type"] = "application/json"
        cookies = self._http.cookies
        if cookies.jar:  # a sticky load balancer's cookie, say: sent back as httpx would
            cookies.set_cookie_header(request)
        response = await self._transport.handle_async_request(request)
        response.request = request
        if "set-cookie" in response.headers:
            cookies.extract_cookies(response)
        return response
