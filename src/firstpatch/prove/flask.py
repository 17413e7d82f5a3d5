"""The Flask driver: the application is a module-level `Flask(...)` object or a `create_app`-style
factory, found by reading the source (`_applocate`), and requests go through `app.test_client()`.
"""

from __future__ import annotations

from firstpatch.prove._webdriver import AppObjectDriver


class FlaskDriver(AppObjectDriver):
    framework = "flask"
    runner = "flask"
    label = "Flask"
    kinds = ("flask",)
    missing = "no Flask application found: no module-level Flask(...), no create_app-style factory"
