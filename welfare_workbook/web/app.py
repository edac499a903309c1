"""The page's application: routes (:mod:`.routes`) behind one guard.

The guard is what lets the page live on a PC that several staff share:

- **Host**: only ``127.0.0.1:PORT`` (a page elsewhere cannot reach it by a DNS name
  pointing at 127.0.0.1).
- **Secret**: a random token made at each launch. The URL printed by ``serve`` carries
  it once; the page then keeps it in an HttpOnly, SameSite=Strict cookie (named with
  the port, since cookies do not tell ports apart) and drops it from the address bar.
  Without it: 403, so another user of the PC cannot use the page.
- **Same origin**: a POST must come from the page itself (Origin, else Referer, equal
  to ``http://127.0.0.1:PORT``); otherwise 403 before anything is read or changed.
- **Size**: a request body over ``max_body`` (collect's own limit for one file) is
  refused with 413 before it is stored.

Every response says so too: a Content-Security-Policy allowing only the page's own
scripts, styles and images (nothing from the internet), no framing, no sniffing.
"""

from __future__ import annotations

import secrets
from typing import Any, Awaitable, Callable, Dict, List, MutableMapping, Tuple
from urllib.parse import parse_qsl, quote, urlencode

from .config import TOKEN_PARAM, PageConfig

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                 b"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
FORBIDDEN_TOKEN = ("このページを開くには、welfare-workbook serve が表示したアドレス（最後に ?token=… が付いたもの）を"
                   "そのままブラウザで開いてください。ページを起動し直したときは、新しいアドレスを使います。")
FORBIDDEN_ORIGIN = "このページ以外からの操作は受け付けません。ページを開き直してから、もう一度操作してください。"
FORBIDDEN_HOST = "このページは {origin} でだけ使えます。"
TOO_LARGE = "送られたデータが大きすぎます（上限 {limit}）。ファイルを分けて送ってください。"


class BodyTooLarge(Exception):
    pass


class Guard:
    """ASGI middleware: host, secret, same-origin and size checks; security headers."""

    def __init__(self, app: Callable[..., Awaitable[None]], config: PageConfig) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cfg = self.config
        headers = _headers(scope)
        method = scope["method"]
        if headers.get("host") != cfg.host:
            await _refuse(send, 403, FORBIDDEN_HOST.format(origin=cfg.origin))
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        sent = dict(query).get(TOKEN_PARAM)
        if sent is not None and method == "GET":
            if not secrets.compare_digest(sent.encode(), cfg.token.encode()):
                await _refuse(send, 403, FORBIDDEN_TOKEN)
                return
            await _login(send, cfg, scope["path"], [(k, v) for k, v in query if k != TOKEN_PARAM])
            return
        if not secrets.compare_digest(_cookie(headers.get("cookie", ""), cfg.cookie).encode(), cfg.token.encode()):
            await _refuse(send, 403, FORBIDDEN_TOKEN)
            return
        if method not in ("GET", "HEAD") and not _same_origin(headers, cfg.origin):
            await _refuse(send, 403, FORBIDDEN_ORIGIN)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > cfg.max_body:
            await _refuse(send, 413, TOO_LARGE.format(limit=_size(cfg.max_body)))
            return
        await self._call_limited(scope, receive, send)

    async def _call_limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, counting the body as it arrives (a chunked body has no length)."""
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.config.max_body:
                    raise BodyTooLarge()
            return message

        async def secured(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        try:
            await self.app(scope, counted, secured)
        except BodyTooLarge:
            if not started:
                await _refuse(send, 413, TOO_LARGE.format(limit=_size(self.config.max_body)))


def _headers(scope: Scope) -> Dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


def _same_origin(headers: Dict[str, str], origin: str) -> bool:
    """Origin when the browser sent one (every current browser does on POST), else Referer."""
    sent = headers.get("origin")
    if sent:  # (an empty header is no header; "null", an opaque origin, is refused)
        return sent == origin
    referer = headers.get("referer", "")
    return referer == origin or referer.startswith(origin + "/")


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"


async def _refuse(send: Send, status: int, message: str) -> None:
    body = (f"<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>使えません</title></head>"
            f"<body><h1>使えません（{status}）</h1><p role=\"alert\">{_escape(message)}</p></body></html>").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())] + SECURITY_HEADERS})
    await send({"type": "http.response.body", "body": body})


async def _login(send: Send, cfg: PageConfig, path: str, rest: List[Tuple[str, str]]) -> None:
    """The secret was in the URL: keep it in the cookie and show the page without it."""
    target = quote(path, safe="/") + ("?" + urlencode(rest) if rest else "")
    cookie = f"{cfg.cookie}={cfg.token}; HttpOnly; SameSite=Strict; Path=/"
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", target.encode("utf-8")), (b"set-cookie", cookie.encode()),
                            (b"content-length", b"0")] + SECURITY_HEADERS})
    await send({"type": "http.response.body", "body": b""})


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def create_app(config: PageConfig) -> Any:
    """The page for ``config.root``, guarded. Imports the web stack (only ``serve`` needs it)."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException

    from .routes import http_error, internal_error, routes

    app = Starlette(routes=routes(), debug=False,
                    exception_handlers={HTTPException: http_error, Exception: internal_error})
    app.state.config = config
    config.collects()
    return Guard(app, config)
