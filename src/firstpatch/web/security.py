"""Who is asking, and whether they may: sessions and tokens, CSRF checks, cookies, headers.

- Pages take a login session (a cookie); the API takes a session or an API token sent as
  `Authorization: Bearer TOKEN`. Nothing answers without one (the login page aside).
- Every form carries the session's CSRF token, compared on the server with the one stored for
  the session; the API asks the same of a cookie-authenticated write, in `X-CSRF-Token`. The
  login form, which has no session yet, carries an HMAC of a nonce cookie under a key the
  server draws at start-up.
- Cookies are HttpOnly and SameSite=Lax, and Secure when served over HTTPS (or when told to).
- Every response forbids framing, sniffing, referrers and any script or style not our own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firstpatch.store import DeadlinePolicy, Store
from firstpatch.web.accounts import SESSION_LIFETIME, Accounts
from firstpatch.web.interface import LoginSession, User

SESSION_COOKIE = "firstpatch_session"
LOGIN_COOKIE = "firstpatch_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What every request handler needs, kept on `app.state`."""

    store: Store
    accounts: Accounts
    policy: DeadlinePolicy
    secure_cookies: bool | None  # None: Secure exactly when the request came over HTTPS
    login_key: bytes  # signs the login form's CSRF token; drawn anew at each start


@dataclass(frozen=True, slots=True)
class Viewer:
    user: User
    session: LoginSession | None  # None: the request carried an API token


class LoginRequired(Exception):
    """A page was asked for without a session: send the browser to the login page."""

    def __init__(self, then: str) -> None:
        super().__init__(then)
        self.then = then


class CsrfRefused(Exception):
    """A form arrived without the CSRF token of its session."""


def dashboard(request: Request) -> Dashboard:
    board: Dashboard = request.app.state.dashboard
    return board


Board = Annotated[Dashboard, Depends(dashboard)]

bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="fpt_…",
    description="An API token made with `firstpatch serve --create-token NAME`.",
)


def _cookie_session(request: Request) -> LoginSession | None:
    secret = request.cookies.get(SESSION_COOKIE)
    return dashboard(request).accounts.session(secret) if secret else None


def api_viewer(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Viewer:
    if credentials is not None:
        user = dashboard(request).accounts.user_of_token(credentials.credentials)
        if user is None:
            raise HTTPException(
                401, "unknown or revoked API token", {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        return Viewer(user, None)
    session = _cookie_session(request)
    if session is None:
        raise HTTPException(
            401,
            "sign in, or send an API token as Authorization: Bearer TOKEN",
            {"WWW-Authenticate": "Bearer"},
        )
    if request.method not in SAFE_METHODS and not same_token(
        request.headers.get(CSRF_HEADER), session.csrf_token
    ):
        raise HTTPException(403, f"a write with a session cookie needs the session's {CSRF_HEADER} header")
    return Viewer(session.user, session)


def page_viewer(request: Request) -> Viewer:
    session = _cookie_session(request)
    if session is None:
        then = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(then if request.method in SAFE_METHODS else "/")
    return Viewer(session.user, session)


async def form_viewer(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)]) -> Viewer:
    """The viewer of a page whose form carried its session's CSRF token."""
    form = await request.form()
    if viewer.session is None or not same_token(form.get(CSRF_FIELD), viewer.session.csrf_token):
        raise CsrfRefused()
    return viewer


def same_token(given: object, expected: str) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(given.encode(), expected.encode())


PageViewer = Annotated[Viewer, Depends(page_viewer)]
FormViewer = Annotated[Viewer, Depends(form_viewer)]
ApiViewer = Annotated[Viewer, Depends(api_viewer)]


# The login form's CSRF token: the browser holds a random nonce in a cookie, the form an HMAC
# of it; another site can neither read the cookie nor compute the HMAC.


def login_nonce() -> str:
    return secrets.token_urlsafe(24)


def login_token(board: Dashboard, nonce: str) -> str:
    return hmac.new(board.login_key, nonce.encode(), hashlib.sha256).hexdigest()


def login_token_valid(board: Dashboard, nonce: str | None, token: object) -> bool:
    return bool(nonce) and nonce is not None and same_token(token, login_token(board, nonce))


def secure(request: Request) -> bool:
    choice = dashboard(request).secure_cookies
    return choice if choice is not None else request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=secure(request), httponly=True, samesite="lax"
    )


def set_session_cookie(response: Response, request: Request, secret: str) -> None:
    set_cookie(response, request, SESSION_COOKIE, secret, int(SESSION_LIFETIME.total_seconds()))


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/", secure=secure(request), httponly=True, samesite="lax")


def safe_next(then: str | None) -> str:
    """Where to go after signing in: only a path on this site, never another host."""
    if (
        not then
        or not then.startswith("/")
        or then.startswith(("//", "/\\"))
        or any(c in then for c in "\r\n\\")
    ):
        return "/"
    return then


class SecurityHeaders:
    """Adds the headers above to every response; pages and API answers are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        static = path.startswith("/static/") or path == "/favicon.svg"

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
                elif "Cache-Control" not in headers:
                    headers["Cache-Control"] = "max-age=3600"
            await send(message)

        await self.app(scope, receive, sending)
