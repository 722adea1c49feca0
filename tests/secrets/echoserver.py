"""A live API stand-in that echoes the caller's own token back, disguised.

It reads the ``API-Token`` header of each request, so a test never has to put
the token into a scenario to get it echoed. The customer's message picks the
disguise (see :data:`DISGUISES`); ``escaped-page`` answers a 200 that is not
JSON, with the token as ``\\uXXXX`` escapes (a script in an HTML page); any
other message is answered ``ok: <message>``.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

SESSION = "echo-session-1"


def _percent_every_byte(token: str) -> str:
    return "".join(f"%{byte:02X}" for byte in token.encode())


# How a careless server or proxy may carry a secret; each is masked by the redactor.
DISGUISES: dict[str, Callable[[str], str]] = {
    "base64": lambda t: base64.b64encode(t.encode()).decode(),
    "base64-unpadded": lambda t: base64.b64encode(t.encode()).decode().rstrip("="),
    # Inside a larger base64 blob, at each of the three byte alignments.
    "basic-auth": lambda t: base64.b64encode(f"qa:{t}".encode()).decode(),
    "bearer-blob": lambda t: base64.b64encode(f"Bearer {t};x".encode()).decode(),
    "urlsafe": lambda t: base64.urlsafe_b64encode(f"k={t}".encode()).decode(),
    "hex": lambda t: t.encode().hex(),
    "HEX": lambda t: t.encode().hex().upper(),
    "reversed": lambda t: t[::-1],
    "upper": str.upper,
    "percent": lambda t: "token=" + quote(t, safe=""),
    "percent-every-byte": _percent_every_byte,
    "entities-hex": lambda t: "".join(f"&#x{ord(c):x};" for c in t),
    "entities-dec": lambda t: "".join(f"&#{ord(c)};" for c in t),
    "zero-width": lambda t: "\u200b".join(t),
    "zero-width-joiner": lambda t: t[:5] + "\u200d" + t[5:],
}


def escaped(token: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in token)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # a quiet server
        return

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _ok(self, data: dict[str, object]) -> None:
        self._send(200, json.dumps({"success": True, "data": data}).encode(),
                   "application/json")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        token = self.headers.get("API-Token", "")
        if self.path.endswith("/support"):
            self._ok({"state": "ok", "session_id": SESSION, "command": body.get("command")})
            return
        content = str(body.get("content"))
        if content == "escaped-page":
            page = f'<script>var t="{escaped(token)}";</script>'
            self._send(200, page.encode(), "text/html")
            return
        disguise = DISGUISES.get(content)
        reply = disguise(token) if disguise else f"ok: {content}"
        self._ok({"session_id": SESSION, "reply": reply, "state": "default", "mode": "ai",
                  "help_requested": False})


@contextmanager
def echo_server() -> Iterator[str]:
    """Serve on a free port of 127.0.0.1; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    # shutdown() waits for the next poll: every 0.5 s by default, at each test's teardown.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
