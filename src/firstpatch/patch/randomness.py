"""CWE-330: a secret drawn from `random` (a Mersenne Twister) → drawn from `secrets`.

The analyser reports where a predictable value becomes a secret and traces it back to the
`random` call that drew it; that call is what changes. Where `secrets` has the function
(`choice`, `randbits`, `token_bytes`, `randbelow` for a one-argument `randrange`) it is used;
every other function keeps its name and arguments on `secrets.SystemRandom()`, which draws
from the operating system's generator with the `random` API, so the values keep their range
and type. Instances of `random.Random` and numpy's generator have no drop-in: no fix.
"""

from __future__ import annotations

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, finish
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch.interface import Fix, Reader

_GENERATORS = frozenset(
    {
        "random", "randint", "randrange", "choice", "choices", "sample", "shuffle", "getrandbits",
        "randbytes", "uniform", "triangular", "betavariate", "expovariate", "gammavariate", "gauss",
        "lognormvariate", "normalvariate", "vonmisesvariate", "paretovariate", "weibullvariate",
    }
)  # fmt: skip
# `random` functions with a same-behaving function of their own in `secrets`.
_IN_SECRETS = {"choice": "choice", "getrandbits": "randbits", "randbytes": "token_bytes"}


class RandomFixer(CodemodFixer):
    cwes = frozenset({330})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        places = [step.location for step in finding.trace if step.location.path == source.path]
        calls: list[cst.Call] = []
        for where in (*places, finding.location):
            for call in source.nodes_at(where, cst.Call):
                if _generator(source, call) is not None and call not in calls:
                    calls.append(call)
        if not calls:
            return None
        editor = Editor(source)
        for call in calls:
            new = _replacement(editor, call)
            if new is None:
                return None
            editor.replace(call, new)
        shown = ", ".join(f"`{source.code(call.func)}`" for call in calls)
        return finish(f"Draw the secret from `secrets` instead of {shown}, which is predictable", editor)


def _generator(source: SourceFile, call: cst.Call) -> str | None:
    """The `random` function `call` calls, when it is one of the module's generators."""
    for name in source.qualified_names(call.func):
        module, _, function = name.rpartition(".")
        if module == "random" and function in _GENERATORS:
            return function
    return None


def _replacement(editor: Editor, call: cst.Call) -> cst.Call | None:
    function = _generator(editor.source, call)
    if function is None or any(arg.star for arg in call.args):
        return None
    if isinstance(call.func, cst.Name):
        editor.drop_unused("random", call.func.value)
    else:
        editor.drop_unused("random")
    plain = all(arg.keyword is None for arg in call.args)
    if function in _IN_SECRETS and plain and len(call.args) == 1:  # each takes one argument
        ref = editor.ref("secrets", _IN_SECRETS[function], call)
        return call.with_changes(func=ref) if ref is not None else None
    if function == "randrange" and plain and len(call.args) == 1:
        ref = editor.ref("secrets", "randbelow", call)
        return call.with_changes(func=ref) if ref is not None else None
    system = editor.ref("secrets", "SystemRandom", call)
    if system is None:
        return None
    return call.with_changes(func=cst.Attribute(cst.Call(system), cst.Name(function)))
