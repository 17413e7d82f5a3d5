"""Sink observers the sandbox child installs before the target is imported (stdlib only).

The audit hook sees what CPython reports; these wrap library entry points that report nothing: weak
digests (hashlib) and the non-cryptographic generator (random) with the target line that called
them, file status checks (os.stat, os.lstat, os.access), log records (logging), and - when the
target imports them - XPath evaluation (lxml, elementpath), LDAP searches (ldap3, python-ldap),
external-entity resolution (lxml) and the cookies a response sets (each framework's `set_cookie`,
with the target line that called it). Each wrapper records through the guard and then calls the
original, so the target behaves as it would without them. For `.xpath()` on lxml elements, which
cannot be wrapped, a global XPath function named after the canary records its own evaluation: only
injected XPath calls it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.abc
import importlib.machinery
import logging
import os
import random
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType, ModuleType
from typing import Any

from ._guard import Guard, real_path

WEAK_DIGESTS = frozenset({"md5", "sha1", "md4", "md2", "sha", "ripemd160", "md5-sha1"})
RANDOM_METHODS = (
    "random",
    "uniform",
    "randint",
    "randrange",
    "choice",
    "choices",
    "shuffle",
    "sample",
    "getrandbits",
    "randbytes",
    "normalvariate",
    "gauss",
    "triangular",
    "betavariate",
    "expovariate",
    "gammavariate",
    "lognormvariate",
    "vonmisesvariate",
    "paretovariate",
    "weibullvariate",
)
# Where each framework's response (or handler) class with `set_cookie(name, ...)` is defined.
COOKIE_SETTERS = (
    ("werkzeug.sansio.response", "Response"),
    ("django.http.response", "HttpResponseBase"),
    ("starlette.responses", "Response"),
    ("aiohttp.web_response", "StreamResponse"),
    ("tornado.web", "RequestHandler"),
)
STAT_FUNCTIONS = ("stat", "lstat", "access")
LOG_METHODS = ("debug", "info", "warning", "warn", "error", "exception", "critical", "fatal")


class Sinks:
    def __init__(self, guard: Guard) -> None:
        self._guard = guard
        self._root = guard.root + os.sep
        self._inside = threading.local()
        self._files: dict[str, str | None] = {}
        self._xpath_namespace: Any = None
        self._registered: str | None = None

    def install(self) -> None:
        self._wrap_hashlib()
        self._wrap_random()
        self._wrap_stat()
        self._wrap_logging()
        hooks: dict[str, Callable[[ModuleType], None]] = {
            "lxml.etree": self._wrap_lxml,
            "elementpath": self._wrap_elementpath,
            "ldap3": self._wrap_ldap3,
            "ldap.ldapobject": self._wrap_python_ldap,
        }
        for module, owner in COOKIE_SETTERS:
            hooks[module] = functools.partial(self._wrap_set_cookie, owner)
        for name, hook in list(hooks.items()):
            if name in sys.modules:
                hook(sys.modules[name])
                del hooks[name]
        sys.meta_path.insert(0, _AfterImport(hooks))

    def watch(self, canary: str | None) -> None:
        """A request starts (or ends, with None): give lxml an XPath function named `canary`."""
        namespace = self._xpath_namespace
        if namespace is None:
            return
        if self._registered is not None:
            del namespace[self._registered]
            self._registered = None
        if canary is not None:
            guard = self._guard

            def called(_context: Any, *args: Any) -> bool:
                guard.mention("xpath.call", (canary, *[repr(a)[:200] for a in args]))
                return False

            namespace[canary] = called
            self._registered = canary

    # -- where a call came from ---------------------------------------------------------------

    def _caller(self, frame: FrameType | None) -> tuple[str, int] | None:
        """The innermost frame in the target's own files, as (relative path, line)."""
        while frame is not None:
            relative = self._relative(frame.f_code.co_filename)
            if relative is not None:
                return relative, frame.f_lineno
            frame = frame.f_back
        return None

    def _relative(self, filename: str) -> str | None:
        if filename not in self._files:
            real = os.path.realpath(filename)
            self._files[filename] = real[len(self._root) :] if real.startswith(self._root) else None
        return self._files[filename]

    def _note_call(self, event: str, detail: Sequence[Any]) -> None:
        if self._guard.canary is None or getattr(self._inside, "busy", False):
            return
        self._inside.busy = True  # randint calls randrange calls getrandbits: record the outermost
        try:
            where = self._caller(sys._getframe(2))
            if where is not None:
                self._guard.note(event, [*detail, *where])
        finally:
            self._inside.busy = False

    # -- stdlib ---------------------------------------------------------------------------------

    def _wrap_hashlib(self) -> None:
        note = self._note_call

        def weak(name: str, kwargs: dict[str, Any]) -> bool:
            return name.lower().replace("_", "-") in WEAK_DIGESTS and kwargs.get("usedforsecurity", True)

        for name in ("md5", "sha1"):
            original = getattr(hashlib, name)

            def constructor(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
                if weak(_name, kwargs):
                    note("hashlib.weak", [_name])
                return _original(*args, **kwargs)

            setattr(hashlib, name, constructor)
        original_new = hashlib.new

        def new(name: str, *args: Any, **kwargs: Any) -> Any:
            if isinstance(name, str) and weak(name, kwargs):
                note("hashlib.weak", [name.lower()])
            return original_new(name, *args, **kwargs)

        hashlib.new = new

    def _wrap_stat(self) -> None:
        """os.stat and friends raise no audit event, yet `os.path.exists(user_path)` and
        `Path.exists()` reach the file system through them (importlib calls `posix` directly,
        so imports do not pay for this)."""
        guard, inside = self._guard, self._inside
        for name in STAT_FUNCTIONS:
            original = getattr(os, name)

            def checked(
                path: Any, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any
            ) -> Any:
                canary = guard.canary
                # realpath calls lstat: the flag keeps the recording from recursing.
                if (
                    canary is not None
                    and not getattr(inside, "stat", False)
                    and isinstance(path, str | bytes | os.PathLike)
                    and canary in os.fsdecode(path)
                ):
                    inside.stat = True
                    try:
                        guard.mention(f"os.{_name}", (real_path(os.fsdecode(path)),))
                    finally:
                        inside.stat = False
                return _original(path, *args, **kwargs)

            functools.update_wrapper(checked, original)
            setattr(os, name, checked)

    def _wrap_random(self) -> None:
        note = self._note_call
        for name in RANDOM_METHODS:
            original = getattr(random.Random, name, None)
            if original is None:
                continue

            def method(
                self: random.Random, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any
            ) -> Any:
                if not isinstance(self, random.SystemRandom):
                    note("random.call", [_name])
                return _original(self, *args, **kwargs)

            functools.update_wrapper(method, original)
            setattr(random.Random, name, method)
            # The module's functions are bound methods of one hidden instance: bind them anew.
            if hasattr(random, name):
                setattr(random, name, getattr(random._inst, name))

    def _wrap_logging(self) -> None:
        guard = self._guard

        def record(level: object, msg: object, args: tuple[Any, ...]) -> None:
            canary = guard.canary
            if canary is None:
                return
            try:
                text = str(msg) % args if args else str(msg)
            except (TypeError, ValueError, KeyError):
                text = f"{msg} {args!r}"
            if canary in text:
                guard.note("logging", [str(level), text])

        for name in LOG_METHODS:
            original = getattr(logging.Logger, name)

            def method(
                self: logging.Logger,
                msg: object,
                *args: Any,
                _original: Any = original,
                _name: str = name,
                **kwargs: Any,
            ) -> Any:
                record(_name, msg, args)
                return _original(self, msg, *args, **kwargs)

            setattr(logging.Logger, name, method)
        original_log = logging.Logger.log

        def log(self: logging.Logger, level: int, msg: object, *args: Any, **kwargs: Any) -> Any:
            record(logging.getLevelName(level), msg, args)
            return original_log(self, level, msg, *args, **kwargs)

        logging.Logger.log = log  # type: ignore[method-assign]

    # -- third-party libraries, wrapped when the target imports them ----------------------------

    def _wrap_lxml(self, etree: ModuleType) -> None:
        guard = self._guard

        class XPath(etree.XPath):  # type: ignore[misc, name-defined]
            def __init__(self, path: Any, *args: Any, **kwargs: Any) -> None:
                guard.mention("xpath", (path,))
                super().__init__(path, *args, **kwargs)

        class EntityRecorder(etree.Resolver):  # type: ignore[misc, name-defined]
            def resolve(self, url: Any, public_id: Any, context: Any) -> None:
                guard.mention("xml.entity", (url, public_id))

        class XMLParser(etree.XMLParser):  # type: ignore[misc, name-defined]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.resolvers.add(EntityRecorder())

        for cls in (XPath, XMLParser):
            cls.__module__, cls.__qualname__ = etree.__name__, cls.__name__
        etree.XPath = XPath  # type: ignore[attr-defined]
        etree.XMLParser = XMLParser  # type: ignore[attr-defined]
        self._xpath_namespace = etree.FunctionNamespace(None)
        if guard.canary is not None:
            self.watch(guard.canary)

    def _wrap_elementpath(self, elementpath: ModuleType) -> None:
        guard = self._guard
        parser = elementpath.XPath1Parser  # XPath 2 and 3 parsers inherit its parse
        original = parser.parse

        def parse(self: Any, source: str) -> Any:
            guard.mention("xpath", (source,))
            return original(self, source)

        parser.parse = parse

    def _wrap_set_cookie(self, owner: str, module: ModuleType) -> None:
        """Record the name of each cookie the target sets, with the target line that set it
        (the cookie oracles read the flags from the response's Set-Cookie for that name)."""
        cls = getattr(module, owner, None)
        original = getattr(cls, "set_cookie", None)
        if cls is None or original is None:
            return
        note = self._note_call

        def set_cookie(self: Any, *args: Any, **kwargs: Any) -> Any:
            name = args[0] if args else kwargs.get("key", kwargs.get("name"))
            note("cookie.set", [str(name)])
            return original(self, *args, **kwargs)

        functools.update_wrapper(set_cookie, original)
        cls.set_cookie = set_cookie

    def _wrap_ldap3(self, ldap3: ModuleType) -> None:
        guard = self._guard
        original = ldap3.Connection.search

        def search(self: Any, search_base: Any, search_filter: Any, *args: Any, **kwargs: Any) -> Any:
            guard.mention("ldap.search", (search_base, search_filter))
            return original(self, search_base, search_filter, *args, **kwargs)

        ldap3.Connection.search = search

    def _wrap_python_ldap(self, module: ModuleType) -> None:
        guard = self._guard
        original = module.SimpleLDAPObject.search_ext  # every search_* variant goes through it

        def search_ext(
            self: Any, base: Any, scope: Any, filterstr: Any = "(objectClass=*)", *args: Any, **kwargs: Any
        ) -> Any:
            guard.mention("ldap.search", (base, filterstr))
            return original(self, base, scope, filterstr, *args, **kwargs)

        module.SimpleLDAPObject.search_ext = search_ext


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs a hook right after one of the named modules is first executed."""

    def __init__(self, hooks: dict[str, Callable[[ModuleType], None]]) -> None:
        self._hooks = hooks

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        hook = self._hooks.pop(fullname, None)
        if hook is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                loader = spec.loader
                original = loader.exec_module

                def exec_module(
                    module: ModuleType, original: Callable[[ModuleType], None] = original
                ) -> None:
                    original(module)
                    hook(module)

                loader.exec_module = exec_module  # type: ignore[method-assign]
                return spec
        return None
