"""`create_app`: the dashboard as an ASGI application over a store and its accounts.

Errors the store raises while a request is served become statuses here, once for every route:
no such project/finding/run → 404, a status change the lifecycle refuses → 409, a database
that cannot be reached → 503. API paths answer JSON (`{"detail": ...}`); pages answer a page.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from firstpatch import __version__
from firstpatch.store import DEFAULT_POLICY, DeadlinePolicy, NotFoundError, Store, StoreError, TriageError
from firstpatch.web import api, forms, pages
from firstpatch.web.accounts import Accounts
from firstpatch.web.rendering import page
from firstpatch.web.security import (
    ApiViewer,
    CsrfRefused,
    Dashboard,
    LoginRequired,
    SecurityHeaders,
    Viewer,
    page_viewer,
)

if TYPE_CHECKING:
    from firstpatch.fleet.ledger import FleetLedger

API_DESCRIPTION = (
    "The firstpatch dashboard's data: projects, runs, findings with their patch windows and "
    "lifecycle, and triage decisions. Send an API token as `Authorization: Bearer TOKEN` "
    "(`firstpatch serve --create-token NAME` makes one). Findings are findings-v1 objects."
)

# An "f" on the header's dark grey; inline because package data ships no .svg files.
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" '
    'fill="#24292f"/><path d="M5 13V4h7M5 8h5" stroke="#fff" stroke-width="2" fill="none"/></svg>'
)


def create_app(
    store: Store,
    accounts: Accounts,
    *,
    policy: DeadlinePolicy = DEFAULT_POLICY,
    secure_cookies: bool | None = None,
    fleet: FleetLedger | None = None,
) -> FastAPI:
    """The dashboard over `store`, signing people in with `accounts` (on the same database).

    `secure_cookies`: True or False to force the cookies' Secure flag; None sets it exactly when
    a request came over HTTPS (directly, or through a proxy uvicorn trusts).
    `fleet`: the same database's fleet ledger, opened with `create_tables=False`, for the newest
    fleet run on the overview and at /api/fleet; None shows none.
    """
    app = FastAPI(
        title="firstpatch dashboard",
        version=__version__,
        description=API_DESCRIPTION,
        # The description is served below, behind the login; no documentation UI (it would
        # load scripts from a CDN, which the Content-Security-Policy forbids anyway).
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.dashboard = Dashboard(store, accounts, policy, secure_cookies, secrets.token_bytes(32))
    app.state.fleet = fleet
    app.include_router(pages.router)
    app.include_router(forms.router)
    app.include_router(api.router)
    app.mount("/static", StaticFiles(packages=[("firstpatch.web", "static")]), name="static")
    app.add_middleware(SecurityHeaders)

    description: dict[str, Any] = {}

    @app.get("/favicon.svg", include_in_schema=False)
    def favicon() -> Response:
        return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(viewer: ApiViewer) -> JSONResponse:
        if not description:
            description.update(app.openapi())
        return JSONResponse(description)

    _handle_errors(app)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _viewer_or_none(request: Request) -> Viewer | None:
    try:
        return page_viewer(request)
    except LoginRequired:
        return None


def _error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    return page(
        request, "error.html.j2", _viewer_or_none(request), {"status": status, "message": message}, status
    )


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.then, safe='/')}", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return _error(
            request, 403, "The form did not carry this session's CSRF token; reload the page and try again."
        )

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(TriageError)
    async def refused(request: Request, exc: TriageError) -> Response:
        return _error(request, 409, str(exc))

    @app.exception_handler(StoreError)
    async def store_failed(request: Request, exc: StoreError) -> Response:
        return _error(request, 503, f"The store cannot answer: {exc}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": _plain(exc.errors())}, status_code=422)
        return _error(request, 400, "The request's parameters are not valid.")


def _plain(errors: Any) -> Any:
    """Validation errors as JSON; pydantic may put the offending value (any bytes) in `input`."""
    return [{k: v for k, v in error.items() if k in ("loc", "msg", "type")} for error in errors]
