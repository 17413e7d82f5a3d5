"""Drivers for Django, FastAPI/Starlette, aiohttp and Tornado (Flask's is in `flask`).

Each says how its framework's application is found in the source and which sandbox runner serves
it; planning, running and judging are shared (`_webdriver`).
"""

from __future__ import annotations

import re
from pathlib import Path

from firstpatch.model import EntryPoint
from firstpatch.prove._applocate import AppLocator, module_name
from firstpatch.prove._protocol import Json
from firstpatch.prove._webdriver import AppObjectDriver, WebDriver
from firstpatch.target import Target

_SETTINGS_ENV = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["'](?P<module>[\w.]+)["']""")


class AsgiDriver(AppObjectDriver):
    framework = "fastapi"
    runner = "asgi"
    label = "FastAPI/Starlette"
    kinds = ("fastapi", "starlette")
    missing = (
        "no FastAPI or Starlette application found: no module-level FastAPI(...)/Starlette(...), no factory"
    )


class AiohttpDriver(AppObjectDriver):
    framework = "aiohttp"
    runner = "aiohttp"
    label = "aiohttp"
    kinds = ("aiohttp",)
    missing = "no aiohttp application found: no module-level web.Application(...), no factory"


class TornadoDriver(AppObjectDriver):
    framework = "tornado"
    runner = "tornado"
    label = "Tornado"
    kinds = ("tornado",)
    missing = "no Tornado application found: no module-level web.Application(...), no make_app-style factory"


class DjangoDriver(WebDriver):
    """The project is found by its settings: the module manage.py (or wsgi.py/asgi.py) names in
    DJANGO_SETTINGS_MODULE, else a settings.py that sets ROOT_URLCONF."""

    framework = "django"
    runner = "django"
    label = "Django"

    def locate(self, root: Path, entry: EntryPoint) -> AppLocator | str:
        target = Target.open(root)
        named: list[tuple[int, AppLocator]] = []
        for path in target.files(suffixes=(".py",)):
            text = target.read_text(path) or ""
            match = _SETTINGS_ENV.search(text)
            rel = target.relative(path)
            if match:
                # The module is imported from the folder of the script that names it.
                folder = path.parent.relative_to(target.root).as_posix()
                entry_folder = "" if folder == "." else folder
                module = match["module"]
                file = "/".join(p for p in (entry_folder, module.replace(".", "/") + ".py") if p)
                rank = 0 if path.name == "manage.py" else 1
                named.append((rank, AppLocator(entry_folder, module, file, attribute="settings")))
            elif path.name == "settings.py" and "ROOT_URLCONF" in text:
                entry_folder, module = module_name(target.root, path)
                named.append((2, AppLocator(entry_folder, module, rel, attribute="settings")))
        if not named:
            return (
                "no Django project: no DJANGO_SETTINGS_MODULE in manage.py, no settings.py with ROOT_URLCONF"
            )
        named.sort(key=lambda item: (item[0], item[1].file.count("/"), item[1].file))
        return named[0][1]

    def job_app(self, locator: AppLocator) -> dict[str, Json]:
        return {"path_entry": locator.path_entry, "settings": locator.module, "module": locator.module}
