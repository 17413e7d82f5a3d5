"""The pages' Jinja environment: autoescaping on for every template, whatever its name.

Starlette's default environment escapes only templates named .html/.htm/.xml; ours are named
.html.j2, so the environment is built here with autoescaping forced on and undefined names
failing loudly instead of printing nothing.
"""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from firstpatch import __version__
from firstpatch.web import charts, urls, views
from firstpatch.web.security import CSRF_FIELD, Viewer


@functools.cache
def templates() -> Jinja2Templates:
    env = Environment(
        loader=PackageLoader("firstpatch.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        project_url=urls.project_url,
        finding_url=urls.finding_url,
        run_url=urls.run_url,
        project_key=urls.project_key,
        window_text=views.window_text,
        window_class=views.window_class,
        status_label=views.status_label,
        where=views.where,
        in_kev=views.in_kev,
        diff_lines=views.diff_lines,
        severities=charts.SEVERITIES,
        csrf_field=CSRF_FIELD,
        version=__version__,
    )
    env.filters.update(short=views.short, moment=views.moment, day=views.day)
    return Jinja2Templates(env=env)


def page(
    request: Request, name: str, viewer: Viewer | None, context: dict[str, Any], status_code: int = 200
) -> Response:
    """A page for `viewer` (None on the login page), with what the layout needs."""
    full = {
        "viewer": viewer,
        "csrf_token": viewer.session.csrf_token if viewer is not None and viewer.session is not None else "",
        **context,
    }
    return templates().TemplateResponse(request, name, full, status_code=status_code)
