"""Function summaries solved to a fixpoint over the call graph.

Every function is analysed once against empty summaries; then a worklist re-analyses the
callers of each function whose summary changed, which also settles recursion. The first pass
needs no summaries, so the engine may split it across forked processes (`first_pass` on each
part) and hand the parts to `solve`.
"""

from __future__ import annotations

import ast
import os
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from firstpatch.analysis.constants import UNKNOWN, fold, is_constant_value
from firstpatch.analysis.declared_types import ClassTypes
from firstpatch.analysis.flow import FunctionFlow, FunctionResult
from firstpatch.analysis.models import Catalog
from firstpatch.analysis.program import Module, Program
from firstpatch.analysis.taint import Summary
from firstpatch.model import Skipped

MAX_ROUNDS_PER_FUNCTION = 12

Outcome = FunctionResult | Skipped


@dataclass
class Solver:
    program: Program
    catalog: Catalog
    class_types: ClassTypes

    def __post_init__(self) -> None:
        own = {name: module_constants(module) for name, module in self.program.modules.items()}
        # Then again with the constants each module imports from the others (`from settings
        # import ALLOWED_HOSTS`), so that an allow-list kept in another file still proves.
        self.constants = {
            name: module_constants(module, imported_constants(self.program, module, own))
            for name, module in self.program.modules.items()
        }
        for name, module in self.program.modules.items():
            module.constants = self.constants[name]

    def analyse(self, qualname: str, summaries: Mapping[str, Summary]) -> Outcome:
        function = self.program.functions[qualname]
        try:
            consts = self.constants[function.module.name]
            return FunctionFlow(
                function, self.program, self.catalog, summaries, consts, self.class_types
            ).run()
        except RecursionError:
            reason = f"function {function.node.name} is nested too deeply to analyse"
            return Skipped(function.module.path, reason, function.node.lineno)

    def first_pass(self, names: Sequence[str]) -> list[tuple[str, Outcome]]:
        """Each of `names` analysed against no summaries: where the fixpoint starts from."""
        return [(qualname, self.analyse(qualname, {})) for qualname in names]

    def solve(
        self, first: Iterable[tuple[str, Outcome]] | None = None
    ) -> tuple[dict[str, FunctionResult], list[Skipped]]:
        """Analyse every function until no summary changes; `first` is the first pass over every
        function when the caller made it (in parts, elsewhere), else it is made here."""
        skipped: dict[str, Skipped] = {}
        summaries: dict[str, Summary] = {}
        results: dict[str, FunctionResult] = {}
        callers: dict[str, set[str]] = defaultdict(set)
        rounds: dict[str, int] = defaultdict(int)
        queue: deque[str] = deque()

        def record(qualname: str, outcome: Outcome) -> None:
            rounds[qualname] += 1
            if isinstance(outcome, Skipped):
                skipped[qualname] = outcome
                return
            results[qualname] = outcome
            for callee in outcome.callees:
                callers[callee].add(qualname)

        for qualname, outcome in (
            first if first is not None else self.first_pass(list(self.program.functions))
        ):
            record(qualname, outcome)
        changed = [q for q, r in results.items() if r.summary != Summary()]
        for qualname in changed:
            summaries[qualname] = results[qualname].summary
        queued = {caller for q in changed for caller in callers[q]}
        queue.extend(sorted(queued))
        while queue:
            qualname = queue.popleft()
            queued.discard(qualname)
            outcome = self.analyse(qualname, summaries)
            record(qualname, outcome)
            if isinstance(outcome, Skipped):
                continue
            if (
                outcome.summary != summaries.get(qualname, Summary())
                and rounds[qualname] < MAX_ROUNDS_PER_FUNCTION
            ):
                summaries[qualname] = outcome.summary
                for caller in callers[qualname] - queued:
                    queue.append(caller)
                    queued.add(caller)
        return results, list(skipped.values())


def default_jobs() -> int:
    """FIRSTPATCH_JOBS when set, else the cores this process may run on."""
    if (configured := os.environ.get("FIRSTPATCH_JOBS", "")).isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def imported_constants(
    program: Program, module: Module, constants: Mapping[str, Mapping[str, object]]
) -> dict[str, object]:
    """The constants `module` imports by name from the project's other modules."""
    found: dict[str, object] = {}
    for local, target in module.imports.items():
        source, _, name = target.rpartition(".")
        resolved = program.resolve_module(source) if source else None
        if resolved is not None and name in constants.get(resolved, {}):
            found[local] = constants[resolved][name]
    return found


def module_constants(module: Module, imported: Mapping[str, object] | None = None) -> dict[str, object]:
    """Module-level names bound once to a constant (or a literal collection of constants);
    `imported`, constants the module imports, count too unless the module binds them itself."""
    bindings: dict[str, list[ast.expr]] = defaultdict(list)
    for stmt in module.tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    bindings[target.id].append(stmt.value)
        elif isinstance(stmt, ast.AnnAssign | ast.AugAssign) and isinstance(stmt.target, ast.Name):
            bindings[stmt.target.id].append(stmt.value or ast.Constant(None))
    consts: dict[str, object] = {k: v for k, v in (imported or {}).items() if k not in bindings}
    for name, values in bindings.items():
        if len(values) != 1:
            continue
        value = values[0]
        if (  # frozenset({...}), set([...]), tuple(...) of constants
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in ("frozenset", "set", "tuple", "list")
            and len(value.args) == 1
            and not value.keywords
        ):
            value = value.args[0]
        if isinstance(value, ast.List | ast.Tuple | ast.Set) and all(
            isinstance(e, ast.Constant) for e in value.elts
        ):
            consts[name] = tuple(e.value for e in value.elts if isinstance(e, ast.Constant))
            continue
        folded = fold(value, consts)
        if folded is not UNKNOWN and is_constant_value(folded):
            consts[name] = folded
    return consts
