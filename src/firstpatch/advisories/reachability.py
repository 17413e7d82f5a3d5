"""Reachability of PyPI advisories: does the project's own code use what the advisory names?

The project's modules are read with the analysis stage's program model (parsed, never
imported): their imports, and the dotted names of their calls. A dependency finding is
reachable when the project calls a function the advisory names (`yaml.load()` in its text), or,
when the advisory names none, imports the package's module at all. A direct dependency the
project never imports is not reachable from its own code; a transitive one is left unknown
(None), because another dependency may use it.

A distribution's import names are its PEP 503 name with `_` for `-`, plus a table of the
well-known packages whose module is named otherwise (PyYAML is `yaml`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from packaging.utils import canonicalize_name

from firstpatch.advisories.facts import AdvisoryFacts
from firstpatch.advisories.symbols import named_in_text
from firstpatch.analysis.models import load_catalog
from firstpatch.analysis.parsing import ParseFailure, parse_module
from firstpatch.analysis.program import Module, Program, build_program, dotted_name, module_name
from firstpatch.model import Advisory, Ecosystem, Finding, FindingKind
from firstpatch.target import Target

# Distributions whose top-level module is not their name (PEP 503 name -> modules).
IMPORT_NAMES: dict[str, tuple[str, ...]] = {
    "pyyaml": ("yaml",),
    "pillow": ("PIL",),
    "beautifulsoup4": ("bs4",),
    "scikit-learn": ("sklearn",),
    "python-dateutil": ("dateutil",),
    "opencv-python": ("cv2",),
    "opencv-python-headless": ("cv2",),
    "protobuf": ("google.protobuf",),
    "pyjwt": ("jwt",),
    "pycryptodome": ("Crypto",),
    "pycryptodomex": ("Cryptodome",),
    "pycrypto": ("Crypto",),
    "python-jose": ("jose",),
    "pyopenssl": ("OpenSSL",),
    "dnspython": ("dns",),
    "setuptools": ("setuptools", "pkg_resources"),
    "attrs": ("attr", "attrs"),
    "python-multipart": ("multipart", "python_multipart"),
    "msgpack-python": ("msgpack",),
    "pymysql": ("pymysql",),
    "mysql-connector-python": ("mysql.connector",),
    "psycopg2-binary": ("psycopg2",),
    "python-ldap": ("ldap",),
    "ruamel-yaml": ("ruamel.yaml",),
    "markdown": ("markdown",),
    "websocket-client": ("websocket",),
    "google-cloud-storage": ("google.cloud.storage",),
}


@dataclass(frozen=True, slots=True)
class Use:
    """Where the project uses a module or calls a function: `path:line` and what."""

    where: str
    what: str


def import_names(distribution: str) -> tuple[str, ...]:
    name = canonicalize_name(distribution)
    return IMPORT_NAMES.get(name, (name.replace("-", "_"),))


class ProjectUses:
    """The project's imports and calls, read once per scan (calls only when first asked about:
    naming every call of a large project costs seconds, and most advisories name no function)."""

    def __init__(self, modules: Sequence[Module], program: Program) -> None:
        self.program = program
        self.modules = modules
        self.imports: list[tuple[str, Use]] = []  # (imported dotted name, where)
        self._calls: list[tuple[str, Use]] | None = None  # (called dotted name, where)
        for module in modules:
            for target in module.imports.values():
                self.imports.append((target, Use(module.path, target)))

    @property
    def calls(self) -> list[tuple[str, Use]]:
        if self._calls is None:
            catalog = load_catalog()
            self._calls = []
            for module in self.modules:
                for call in module.calls:
                    called = dotted_name(call.func, module, catalog)
                    if called:
                        self._calls.append((called, Use(f"{module.path}:{call.lineno}", called)))
        return self._calls

    @classmethod
    def of(cls, root: str) -> ProjectUses:
        """The uses in the project at `root`, parsing its modules (`of_program` when the analysis
        has already parsed them: on a large project this parse costs as much as the analysis's)."""
        return cls.of_program(project_program(root))

    @classmethod
    def of_program(cls, program: Program) -> ProjectUses:
        """The uses in a program the analysis has already built (nothing is parsed again)."""
        return cls(list(program.modules.values()), program)

    def importing(self, module: str) -> Use | None:
        """The first place the project imports `module` or something inside it."""
        if self.program.resolve_module(module) is not None:
            return None  # the project's own module of that name shadows the package
        return next(
            (use for name, use in self.imports if name == module or name.startswith(module + ".")), None
        )

    def calling(self, symbol: str) -> Use | None:
        return next(
            (use for name, use in self.calls if name == symbol or name.startswith(symbol + ".")), None
        )


def project_program(root: str) -> Program:
    """The program of the project at `root`: its modules parsed from their text (never
    imported), as the analysis parses them."""
    target = Target.open(root)
    modules: list[Module] = []
    for path in target.files(suffixes=(".py",)):
        text = target.read_text(path)
        if text is None:
            continue
        relative = target.relative(path)
        parsed = parse_module(text, relative)
        if isinstance(parsed, ParseFailure):
            continue
        name, is_package = module_name(relative)
        modules.append(Module(name, relative, parsed.tree, parsed.lines, is_package=is_package))
    return build_program(modules, load_catalog())


def judge(finding: Finding, uses: ProjectUses, advisories: Iterable[Advisory | AdvisoryFacts]) -> Finding:
    """The finding (on `advisories`) with `reachable` set and the evidence added to its message.

    Each advisory is judged on its own: one that names functions is reachable when the project
    calls one of them, one that names none when the project imports the package. The finding is
    reachable when any of its advisories is, so a record that names `yaml.load` does not clear
    another of the same finding that names nothing.
    """
    component = finding.component
    if (
        finding.kind is not FindingKind.DEPENDENCY
        or component is None
        or component.ecosystem is not Ecosystem.PYPI
    ):
        return finding
    modules = import_names(component.name)
    roots = {m.split(".")[0] for m in modules}
    imported = next((use for module in modules if (use := uses.importing(module)) is not None), None)
    named: set[str] = set()
    names_nothing = False
    for advisory in advisories:
        symbols = named_in_text(advisory, roots)
        named.update(symbols)
        names_nothing = names_nothing or not symbols
    names_nothing = names_nothing or not named
    called = next((use for symbol in sorted(named) if (use := uses.calling(symbol)) is not None), None)
    if called is not None:
        return _with(
            finding, True, f"The project calls {called.what} ({called.where}), which the advisory names."
        )
    if imported is not None and names_nothing:
        return _with(finding, True, f"The project imports {imported.what} ({imported.where}).")
    if imported is not None:
        return _with(
            finding,
            False,
            f"The project imports {imported.what} ({imported.where}) but never calls "
            f"{', '.join(sorted(named))}, which the advisories name.",
        )
    if not component.direct:
        return finding  # another dependency may use it: unknown
    return _with(finding, False, f"The project's own code never imports {' or '.join(modules)}.")


def _with(finding: Finding, reachable: bool, evidence: str) -> Finding:
    return replace(finding, reachable=reachable, message=f"{finding.message} {evidence}".strip())
