"""Find a target's web application by reading its source as text (nothing is imported here).

Candidates are modules that create a module-level application object (`Flask(...)`,
`FastAPI(...)`, `web.Application(...)`, ...) or define a `create_app`-style factory in a file
that constructs one. For a finding, the candidate
whose file (or the files it imports) registers the finding's route or holds its handler wins;
test files lose to application files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from firstpatch.model import EntryPoint
from firstpatch.prove._protocol import Json
from firstpatch.target import Target


@dataclass(frozen=True, slots=True)
class AppKind:
    """How one framework's application objects look in source text."""

    marker: str  # a file must mention this to be read further
    classes: str  # alternation of constructor names, with optional module prefixes


KINDS = {
    "flask": AppKind("Flask", r"(?:flask\.)?Flask"),
    "fastapi": AppKind("FastAPI", r"(?:fastapi\.)?FastAPI"),
    "starlette": AppKind("Starlette", r"(?:starlette\.applications\.)?Starlette"),
    "aiohttp": AppKind("aiohttp", r"(?:aiohttp\.)?(?:web\.)?Application"),
    "tornado": AppKind("tornado", r"(?:tornado\.)?(?:web\.)?Application"),
}
_FACTORY = re.compile(
    r"^(?:async\s+)?def\s+(?P<name>(?:create|make|build|get|init)_(?:\w+_)?app(?:lication)?|app_factory)\s*\(",
    re.MULTILINE,
)
_IMPORT = re.compile(
    r"^\s*(?:from\s+(?P<from>[.\w]+)\s+import\s+(?P<names>[^\n]+)|import\s+(?P<mods>[^\n]+))", re.MULTILINE
)
_APP_FILES = frozenset({"app.py", "wsgi.py", "main.py", "__init__.py", "application.py", "server.py"})


@dataclass(frozen=True, slots=True)
class AppLocator:
    """How to build the application: put `path_entry` on sys.path, import `module`, then take
    `attribute` or call `factory()`."""

    path_entry: str  # relative to the target root, "" for the root itself
    module: str
    file: str  # the module's file, relative to the root
    attribute: str | None = None
    factory: str | None = None

    def describe(self) -> str:
        return f"{self.module}.{self.factory}()" if self.factory else f"{self.module}.{self.attribute}"

    def to_json(self) -> dict[str, Json]:
        return {
            "path_entry": self.path_entry,
            "module": self.module,
            "attribute": self.attribute,
            "factory": self.factory,
        }


@dataclass(frozen=True, slots=True)
class _Candidate:
    locator: AppLocator
    text: str
    imports: frozenset[str]


class AppFinder:
    def __init__(self, root: Path, kind: str = "flask") -> None:
        self._target = Target.open(root)
        self._kind = KINDS[kind]
        self._object = re.compile(
            rf"^(?P<name>[A-Za-z_]\w*)\s*(?::[^=\n]+)?=\s*(?:{self._kind.classes})\(", re.MULTILINE
        )
        self._constructs = re.compile(rf"\b(?:{self._kind.classes})\(")
        self._candidates = self._scan()

    def find(self, entry: EntryPoint) -> AppLocator | None:
        if not self._candidates:
            return None
        best = max(self._candidates, key=lambda candidate: self._score(candidate, entry))
        return best.locator

    def _scan(self) -> list[_Candidate]:
        candidates = []
        for path in self._target.files(suffixes=(".py",)):
            text = self._target.read_text(path)
            if text is None or self._kind.marker not in text:
                continue
            rel = self._target.relative(path)
            entry, module = module_name(self._target.root, path)
            imports = _imports(text, module)
            objects = [m["name"] for m in self._object.finditer(text)]
            factories = [m["name"] for m in _FACTORY.finditer(text)] if self._constructs.search(text) else []
            for name in objects:
                candidates.append(_Candidate(AppLocator(entry, module, rel, attribute=name), text, imports))
            for name in factories:
                candidates.append(_Candidate(AppLocator(entry, module, rel, factory=name), text, imports))
        return candidates

    def _score(self, candidate: _Candidate, entry: EntryPoint) -> tuple[int, str]:
        locator = candidate.locator
        score = 0
        if entry.route and re.search(rf"""["']{re.escape(entry.route)}["']""", candidate.text):
            score += 4
        if entry.location.path == locator.file:
            score += 4
        handler_module = _module_of(entry)
        if handler_module and any(
            handler_module == name or handler_module.endswith("." + name) for name in candidate.imports
        ):
            score += 2
        if Path(locator.file).name in _APP_FILES:
            score += 1
        if locator.attribute == "app" or locator.factory == "create_app":
            score += 1
        parts = Path(locator.file).parts
        if any(part in ("tests", "test") for part in parts) or Path(locator.file).name.startswith(
            ("test_", "conftest")
        ):
            score -= 10
        return score, locator.file  # ties: the shallower, alphabetically first path is stable


def module_name(root: Path, path: Path) -> tuple[str, str]:
    """(sys.path entry relative to root, dotted module name) for a file inside packages."""
    parts = [path.stem] if path.name != "__init__.py" else []
    folder = path.parent
    while folder != root and (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    entry = folder.relative_to(root).as_posix()
    return ("" if entry == "." else entry), ".".join(parts) or path.parent.name


def _imports(text: str, module: str) -> frozenset[str]:
    names: set[str] = set()
    package = module.rpartition(".")[0]
    for match in _IMPORT.finditer(text):
        if match["mods"]:
            names.update(part.split(" as ")[0].strip() for part in match["mods"].split(","))
            continue
        source = match["from"]
        if source.startswith("."):
            base = package
            for _ in range(len(source) - len(source.lstrip(".")) - 1):
                base = base.rpartition(".")[0]
            source = ".".join(part for part in (base, source.lstrip(".")) if part)
        names.add(source)
        for imported in match["names"].strip("() ").split(","):
            name = imported.split(" as ")[0].strip()
            if name and name.isidentifier():
                names.add(f"{source}.{name}" if source else name)
    return frozenset(names)


def _module_of(entry: EntryPoint) -> str | None:
    path = entry.location.path
    if not path.endswith(".py"):
        return None
    parts = path[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or None
