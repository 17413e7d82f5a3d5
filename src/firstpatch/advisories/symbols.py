"""What an advisory says is vulnerable inside a package: modules and functions (symbols).

Go records list them under `ecosystem_specific.imports` (`{path, symbols}`), RustSec records
under `ecosystem_specific.affects.functions` (`crate::module::function`). PyPI records have no
such field; their text often names the function in a code span (`` `yaml.load()` ``), which
`named_in_text` finds for the package's own module names. `model.Advisory` does not carry
`ecosystem_specific`, so sources that keep the raw record answer `affected_symbols` from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from firstpatch.advisories.facts import AdvisoryFacts
from firstpatch.model import Advisory


@dataclass(frozen=True, slots=True)
class AffectedSymbols:
    """The vulnerable symbols of one module (Go import path, Rust module path, Python module)."""

    package: str
    module: str
    symbols: tuple[str, ...] = ()  # empty: the record names the module, not its functions


def symbols_of(record: Mapping[str, object]) -> tuple[AffectedSymbols, ...]:
    """The symbols a raw OSV record lists in its `ecosystem_specific` fields."""
    found: list[AffectedSymbols] = []
    affected = record.get("affected")
    for entry in affected if isinstance(affected, list) else ():
        if not isinstance(entry, Mapping):
            continue
        package = entry.get("package")
        name = package.get("name") if isinstance(package, Mapping) else None
        specific = entry.get("ecosystem_specific")
        if not isinstance(name, str) or not isinstance(specific, Mapping):
            continue
        imports = specific.get("imports")
        for item in imports if isinstance(imports, list) else ():
            if isinstance(item, Mapping) and isinstance(item.get("path"), str):
                symbols = item.get("symbols")
                listed = tuple(s for s in symbols if isinstance(s, str)) if isinstance(symbols, list) else ()
                found.append(AffectedSymbols(name, str(item["path"]), listed))
        affects = specific.get("affects")
        functions = affects.get("functions") if isinstance(affects, Mapping) else None
        for function in functions if isinstance(functions, list) else ():
            if isinstance(function, str) and "::" in function:
                module, _, symbol = function.rpartition("::")
                found.append(AffectedSymbols(name, module, (symbol,)))
    return tuple(found)


_CODE_SPAN = re.compile(r"`([A-Za-z_][\w.]*)(?:\(\))?`")
_CALLED = re.compile(r"\b([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+)\(\)")


def named_in_text(advisory: Advisory | AdvisoryFacts, modules: Iterable[str]) -> tuple[str, ...]:
    """Dotted names under one of `modules` that the advisory's text puts in a code span or
    writes as a call (`yaml.load()`), e.g. ("yaml.load",). A bare module name is not a symbol."""
    roots = set(modules)
    text = f"{advisory.summary}\n{advisory.details}"
    names = {m.group(1) for m in _CODE_SPAN.finditer(text)} | {m.group(1) for m in _CALLED.finditer(text)}
    return tuple(sorted(n for n in names if "." in n and n.split(".", 1)[0] in roots))
