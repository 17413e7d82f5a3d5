"""The dashboard's own security: login everywhere, CSRF on every form, cookie flags, roles,
inert target text, redirects that stay on the site, and bound parameters only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from starlette.routing import Mount
from web_samples import COMMAND, HOSTILE, SHOP
from web_site import PASSWORDS, Site, csrf_of

from firstpatch.store import FindingStatus
from firstpatch.web import project_key
from firstpatch.web.urls import finding_url

KEY = project_key(SHOP)
FINDING = finding_url(SHOP, COMMAND.fingerprint)
FORMS = [
    f"{FINDING}/accept-risk",
    f"{FINDING}/false-positive",
    f"{FINDING}/reopen",
    "/logout",
]
# Routes anyone may fetch: the sign-in form, and the look of the pages (no data in them).
PUBLIC = {"/login", "/favicon.svg"}


def _concrete(path: str) -> str:
    return (
        path.replace("{key}", KEY)
        .replace("{fingerprint}", COMMAND.fingerprint)
        .replace("{run_id}", "a1" * 16)
        .replace("{base}", "a1" * 16)
        .replace("{head}", "b2" * 16)
    )


def _walk(routes: Any, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every endpoint with its full path, through routers included whole (newer FastAPI keeps
    an included router as one route; older ones copy its routes in)."""
    for route in routes:
        if isinstance(route, Mount):
            continue
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
            continue
        included = getattr(route, "original_router", None)
        assert included is not None, route
        yield from _walk(included.routes, prefix + route.include_context.prefix)


def _routes(site: Site) -> Iterator[tuple[str, str]]:
    for path, route in _walk(site.app.routes):
        for method in sorted(route.methods - {"HEAD"}):
            yield method, _concrete(path)


def test_no_page_or_api_call_answers_without_login(site: Site) -> None:
    client = site.client()
    checked = []
    for method, path in _routes(site):
        if path in PUBLIC:
            continue
        response = client.request(method, path, follow_redirects=False)
        checked.append(path)
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
        elif method == "GET":
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/login?next=")
        else:
            # A form posted without a session goes to the login page, and changes nothing.
            assert response.status_code == 303, (method, path)
    assert f"{FINDING}/accept-risk" in checked
    assert "/api/openapi.json" in checked
    assert f"/api/projects/{KEY}/findings" in checked
    assert site.store.tracked_finding(SHOP, COMMAND.fingerprint).status is FindingStatus.PATCHED


def test_a_wrong_token_or_password_gets_nothing(site: Site) -> None:
    client = site.client()
    forged = site.tokens["alice"][:-4] + "AAAA"
    assert client.get("/api/projects", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert client.get("/api/projects", headers={"Authorization": "Bearer "}).status_code == 401
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]*)"', form)
    assert token is not None
    wrong = client.post(
        "/login", data={"name": "alice", "password": "not-her-password", "csrf_token": token.group(1)}
    )
    assert wrong.status_code == 401
    assert "Wrong name or password." in wrong.text
    assert "firstpatch_session" not in client.cookies
    assert client.get("/", follow_redirects=False).status_code == 303


def test_tokens_open_the_api_and_carry_their_users_role(site: Site) -> None:
    client = site.client()
    me = client.get("/api/me", headers={"Authorization": f"Bearer {site.tokens['bob']}"}).json()
    assert me == {"name": "bob", "role": "read-only", "can_triage": False, "signed_in_with": "token"}
    # A token opens the API, not the pages: those want a browser session.
    page = client.get(
        "/", headers={"Authorization": f"Bearer {site.tokens['alice']}"}, follow_redirects=False
    )
    assert page.status_code == 303


@pytest.mark.parametrize("path", FORMS)
def test_forms_refuse_a_missing_or_wrong_csrf_token(site: Site, path: str) -> None:
    client = site.signed_in("alice")
    data: dict[str, Any] = {"reason": "known and tracked", "expires": "2999-01-01"}
    assert client.post(path, data=data, follow_redirects=False).status_code == 403
    data["csrf_token"] = "x" * 43
    refused = client.post(path, data=data, follow_redirects=False)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    # Nothing moved, and the session still works.
    assert site.store.tracked_finding(SHOP, COMMAND.fingerprint).status is FindingStatus.PATCHED
    assert client.get("/", follow_redirects=False).status_code == 200


def test_the_login_form_refuses_a_missing_csrf_token(site: Site) -> None:
    client = site.client()
    client.get("/login")
    response = client.post("/login", data={"name": "alice", "password": PASSWORDS["alice"]})
    assert response.status_code == 403
    assert "firstpatch_session" not in client.cookies


def test_a_session_cookie_write_to_the_api_needs_the_csrf_header(site: Site) -> None:
    client = site.signed_in("alice")
    path = f"/api/projects/{KEY}/findings/{COMMAND.fingerprint}/false-positive"
    assert client.post(path, json={"reason": "test fixture"}).status_code == 403
    response = client.post(path, json={"reason": "test fixture"}, headers={"X-CSRF-Token": csrf_of(client)})
    assert response.status_code == 200
    assert response.json()["status"] == "false-positive"


def test_the_read_only_role_sees_but_cannot_triage(site: Site) -> None:
    client = site.signed_in("bob")
    page = client.get(FINDING)
    assert page.status_code == 200
    assert 'action="' + FINDING + '/accept-risk"' not in page.text
    assert "can see findings but not triage them" in page.text
    refused = client.post(
        f"{FINDING}/accept-risk",
        data={"csrf_token": csrf_of(client), "reason": "fine by me", "expires": "2999-01-01"},
    )
    assert refused.status_code == 403
    api = site.client().post(
        f"/api/projects/{KEY}/findings/{COMMAND.fingerprint}/accept-risk",
        json={"reason": "fine by me", "expires": "2999-01-01"},
        headers={"Authorization": f"Bearer {site.tokens['bob']}"},
    )
    assert api.status_code == 403
    assert site.store.tracked_finding(SHOP, COMMAND.fingerprint).status is FindingStatus.PATCHED


def _set_cookie(response: Any, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return str(header)
    raise AssertionError(f"no {name} cookie set")


@pytest.mark.parametrize(("https", "secure"), [(False, False), (True, True)])
def test_session_cookies_are_httponly_lax_and_secure_over_https(
    site: Site, https: bool, secure: bool
) -> None:
    client = site.client(https)
    form = client.get("/login")
    assert ("; secure" in _set_cookie(form, "firstpatch_login").lower()) is secure
    token = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
    assert token is not None
    response = client.post(
        "/login",
        data={"name": "alice", "password": PASSWORDS["alice"], "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    cookie = _set_cookie(response, "firstpatch_session").lower()
    assert "; httponly" in cookie
    assert "; samesite=lax" in cookie
    assert "; path=/" in cookie
    assert ("; secure" in cookie) is secure


def test_secure_cookies_can_be_forced_behind_a_proxy(sqlite_db_url: str) -> None:
    from web_site import build_site

    for forced in build_site(sqlite_db_url, secure_cookies=True):
        response = forced.client().get("/login")
        assert "; secure" in _set_cookie(response, "firstpatch_login").lower()


def test_every_answer_carries_the_security_headers(site: Site) -> None:
    client = site.signed_in("alice")
    for path in ("/", "/login", "/api/me", FINDING, "/static/dashboard.css"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
    assert client.get(FINDING).headers["cache-control"] == "no-store"


def test_target_text_is_rendered_inert(site: Site) -> None:
    client = site.signed_in("alice")
    for path in (FINDING, f"/projects/{KEY}", f"/runs/{'a1' * 16}", "/"):
        html = client.get(path).text
        assert HOSTILE not in html, path
        assert "<img src=x" not in html
    finding = client.get(FINDING).text
    # The code, title, trace, message and reproducer are all there, as text.
    assert finding.count("&lt;script&gt;window.pwned = 1&lt;/script&gt;") >= 5
    # Our own pages carry no inline script: the CSP would refuse it, and none was injected.
    assert re.findall(r"<script[^>]*>", finding) == ['<script src="/static/dashboard.js" defer>']


@pytest.mark.parametrize(
    "then", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]
)
def test_after_signing_in_the_browser_stays_on_the_site(site: Site, then: str) -> None:
    client = site.client()
    form = client.get("/login", params={"next": then}).text
    assert 'name="next" value="/"' in form
    token = re.search(r'name="csrf_token" value="([^"]*)"', form)
    assert token is not None
    response = client.post(
        "/login",
        data={"name": "alice", "password": PASSWORDS["alice"], "csrf_token": token.group(1), "next": then},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_signing_out_ends_the_session_on_the_server(site: Site) -> None:
    client = site.signed_in("alice")
    stolen = client.cookies["firstpatch_session"]
    assert (
        client.post("/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False).status_code
        == 303
    )
    replay = site.client()
    replay.cookies.set("firstpatch_session", stolen)
    assert replay.get("/", follow_redirects=False).status_code == 303


def test_hostile_input_reaches_the_database_only_as_bound_parameters(site: Site) -> None:
    """Every statement the dashboard runs is the ORM's, with the request's text as parameters."""
    injected = "x' OR '1'='1"
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        client = site.client()
        sign_in_form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]*)"', sign_in_form)
        assert token is not None
        client.post("/login", data={"name": injected, "password": injected, "csrf_token": token.group(1)})
        client.get("/api/projects", headers={"Authorization": f"Bearer fpt_{injected}"})
        signed = site.signed_in("alice")
        signed.get(f"/projects/{project_key(injected)}")
        signed.get(f"/api/projects/{KEY}/findings/{COMMAND.fingerprint}'--")
        signed.post(f"{FINDING}/false-positive", data={"csrf_token": csrf_of(signed), "reason": injected})
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)
    assert statements
    assert not [s for s in statements if "OR '1'" in s or "'--" in s]
    assert site.store.events(SHOP, COMMAND.fingerprint)[-1].reason == injected
