"""Models of sources, sinks and sanitisers, one YAML file per framework or library.

Adding support for a library is adding a file here; the taint engine only reads the `Catalog`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from firstpatch.analysis.interface import AnalysisError
from firstpatch.model import InputKind

ALL_CWES: frozenset[int] = frozenset({-1})  # sentinel: clears every CWE
# Sentinel: clears every injection CWE, but the value is still untrusted data (CWE-501):
# escaping or filtering characters makes a value safe to embed, not safe to trust.
INJECTION_CWES: frozenset[int] = frozenset({-2})
TRUST_BOUNDARY_CWE = 501


@dataclass(frozen=True, slots=True)
class SourceModel:
    name: str
    shape: str  # mapping | value | call
    input: InputKind
    framework: str


@dataclass(frozen=True, slots=True)
class SinkModel:
    cwe: int
    name: str = ""  # a dotted function name, or
    method: str = ""  # a method name on any receiver
    args: tuple[int, ...] = ()
    keywords: tuple[str, ...] = ()
    when_keyword: tuple[tuple[str, object], ...] = ()  # only when every keyword has this constant
    unless_keyword: tuple[tuple[str, frozenset[str]], ...] = ()  # not when a keyword names one of these
    program: bool = False  # only the program: element 0 of a list, or the whole string
    html_only: bool = False  # only a value built as HTML text
    receiver: bool = False  # the object the method is called on is what must not be tainted
    module_imports: tuple[str, ...] = ()  # only in modules importing one of these (by last name part)
    requires_flag: tuple[int, str, str] | None = None  # (argument, keyword, flag) the parser must carry


@dataclass(frozen=True, slots=True)
class ValidatorModel:
    """A function whose true result proves an argument safe (`url_has_allowed_host_and_scheme`)."""

    name: str
    cwes: frozenset[int]
    arg: int = 0
    keyword: str = ""


@dataclass(frozen=True, slots=True)
class StoreSinkModel:
    """A mapping that must not receive tainted keys or values (`session[key] = value`)."""

    name: str
    cwe: int


@dataclass(frozen=True, slots=True)
class FlagModel:
    """A call that marks an object as dangerous to use (a parser with external entities on)."""

    flag: str
    name: str = ""  # a constructor: the object it returns carries the flag
    method: str = ""  # a method: the receiver gains the flag
    args: tuple[object, ...] = ()  # constants (or dotted names) the arguments must equal
    keywords: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class SanitizerModel:
    name: str
    cwes: frozenset[int]


@dataclass(frozen=True, slots=True)
class RouteModel:
    """How a framework declares its HTTP handlers and hands them the request."""

    framework: str
    decorators: frozenset[str] = frozenset()  # @app.get("/x") and the like
    app_types: frozenset[str] = frozenset()  # what the decorated object must be (empty: anything)
    register: frozenset[str] = frozenset()  # app.add_url_rule("/x", view_func=f): method names
    register_functions: frozenset[str] = frozenset()  # django.urls.path("x/", view): function names
    handler_bases: frozenset[str] = frozenset()  # classes whose methods below are handlers
    handler_methods: frozenset[str] = frozenset()
    request_type: str = ""  # the type of the handler's request parameter ("" : a global proxy)
    parameters_are_inputs: bool = False  # FastAPI: each parameter is a query, path or body input
    response_cwe: int = 0  # what a returned string is (79: an HTML body); 0: not a sink


@dataclass
class Catalog:
    sources: dict[str, SourceModel] = field(default_factory=dict)
    sinks_by_name: dict[str, tuple[SinkModel, ...]] = field(default_factory=dict)
    sinks_by_method: dict[str, tuple[SinkModel, ...]] = field(default_factory=dict)
    sanitizers: dict[str, SanitizerModel] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    routes: list[RouteModel] = field(default_factory=list)
    stores: dict[str, StoreSinkModel] = field(default_factory=dict)
    validators: dict[str, ValidatorModel] = field(default_factory=dict)
    factories: dict[str, str] = field(default_factory=dict)  # function → the library type it returns
    flags: list[FlagModel] = field(default_factory=list)
    # Constructors of objects whose call binds its arguments as values (a compiled XPath query
    # with `$variables`): what the call returns is computed from the object, not pasted from them.
    bound_calls: frozenset[str] = frozenset()

    @functools.cached_property
    def library_types(self) -> frozenset[str]:
        """Library classes the models name members of (argparse.ArgumentParser): a local built
        by one of these constructors is typed by it."""
        names = [*self.sources, *self.sinks_by_name]
        return frozenset(
            ".".join(parts[:cut])
            for name in names
            for parts in [name.split(".")]
            for cut in range(2, len(parts))
            if parts[cut - 1][:1].isupper()
        )

    def canonical(self, name: str) -> str:
        """`name` with the longest aliased prefix replaced (flask.globals.request → flask.request)."""
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            head = ".".join(parts[:cut])
            if head in self.aliases:
                return ".".join([self.aliases[head], *parts[cut:]])
        return name


def _sink(entry: dict[str, Any]) -> SinkModel:
    return SinkModel(
        cwe=int(entry["cwe"]),
        name=entry.get("name", ""),
        method=entry.get("method", ""),
        args=tuple(entry.get("args", ())),
        keywords=tuple(entry.get("keywords", ())),
        when_keyword=tuple((entry.get("when_keyword") or {}).items()),
        unless_keyword=tuple(
            (key, frozenset(values)) for key, values in (entry.get("unless_keyword") or {}).items()
        ),
        program=bool(entry.get("program", False)),
        html_only=bool(entry.get("html_only", False)),
        receiver=bool(entry.get("receiver", False)),
        module_imports=tuple(entry.get("module_imports", ())),
        requires_flag=tuple(entry["requires_flag"]) if entry.get("requires_flag") else None,
    )


def _add(catalog: Catalog, document: dict[str, Any], filename: str) -> None:
    framework = document.get("framework", filename)
    catalog.aliases.update(document.get("aliases") or {})
    for entry in document.get("sources") or ():
        model = SourceModel(entry["name"], entry["shape"], InputKind(entry["input"]), framework)
        catalog.sources[model.name] = model
    for entry in document.get("sinks") or ():
        sink = _sink(entry)
        if sink.method:
            catalog.sinks_by_method[sink.method] = (*catalog.sinks_by_method.get(sink.method, ()), sink)
        else:
            catalog.sinks_by_name[sink.name] = (*catalog.sinks_by_name.get(sink.name, ()), sink)
    for entry in document.get("sanitizers") or ():
        cwes = ALL_CWES if entry["cwes"] == "all" else frozenset(int(c) for c in entry["cwes"])
        catalog.sanitizers[entry["name"]] = SanitizerModel(entry["name"], cwes)
    catalog.factories.update(document.get("factories") or {})
    catalog.bound_calls |= frozenset(document.get("bound_calls") or ())
    for entry in document.get("validators") or ():
        cwes = ALL_CWES if entry["cwes"] == "all" else frozenset(int(c) for c in entry["cwes"])
        catalog.validators[entry["name"]] = ValidatorModel(
            entry["name"], cwes, int(entry.get("arg", 0)), entry.get("keyword", "")
        )
    for entry in document.get("stores") or ():
        catalog.stores[entry["name"]] = StoreSinkModel(entry["name"], int(entry["cwe"]))
    for entry in document.get("flags") or ():
        catalog.flags.append(
            FlagModel(
                entry["flag"],
                entry.get("name", ""),
                entry.get("method", ""),
                tuple(entry.get("args", ())),
                tuple((entry.get("keywords") or {}).items()),
            )
        )
    if routes := document.get("routes"):
        catalog.routes.append(
            RouteModel(
                framework,
                decorators=frozenset(routes.get("decorators", ())),
                app_types=frozenset(routes.get("app_types", ())),
                register=frozenset(routes.get("register", ())),
                register_functions=frozenset(routes.get("register_functions", ())),
                handler_bases=frozenset(routes.get("handler_bases", ())),
                handler_methods=frozenset(routes.get("handler_methods", ())),
                request_type=routes.get("request_type", ""),
                parameters_are_inputs=bool(routes.get("parameters_are_inputs", False)),
                response_cwe=int(routes.get("response_cwe", 0)),
            )
        )


@functools.cache
def load_catalog() -> Catalog:
    """Every model file shipped in this package, merged."""
    catalog = Catalog()
    for item in sorted(resources.files(__name__).iterdir(), key=lambda entry: entry.name):
        if not item.name.endswith(".yaml"):
            continue
        try:
            document = yaml.safe_load(item.read_text("utf-8"))
            _add(catalog, document, item.name.removesuffix(".yaml"))
        except (yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            raise AnalysisError(f"model {item.name}: {exc}") from exc
    return catalog
