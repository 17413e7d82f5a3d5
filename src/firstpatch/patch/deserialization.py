"""CWE-502: deserialisers that build arbitrary objects → ones that build plain data.

* `pickle.loads(x)` / `pickle.load(f)` → `json.loads(x)` / `json.load(f)` (both accept
  bytes). The data format changes with it: whoever sends the data must send JSON.
* `yaml.load(x, Loader=Loader|FullLoader|UnsafeLoader)` (or no loader), `yaml.unsafe_load`,
  `yaml.full_load` → `yaml.safe_load(x)`; the `_all` variants → `yaml.safe_load_all`. A
  loader of the program's own has constructors safe_load lacks: no fix.
* `marshal`, `shelve`, `pickle.Unpickler`: no drop-in exists, so no fix.
"""

from __future__ import annotations

import libcst as cst

from firstpatch.model import Finding
from firstpatch.patch._base import CodemodFixer, argument, finish
from firstpatch.patch._edit import Editor
from firstpatch.patch._source import SourceFile
from firstpatch.patch.interface import Fix, Reader

_PICKLE = {
    f"{module}.{function}": function
    for module in ("pickle", "_pickle", "cPickle", "dill")
    for function in ("loads", "load")
}
_YAML = {
    "yaml.load": "safe_load",
    "yaml.unsafe_load": "safe_load",
    "yaml.full_load": "safe_load",
    "yaml.load_all": "safe_load_all",
    "yaml.unsafe_load_all": "safe_load_all",
    "yaml.full_load_all": "safe_load_all",
}
_UNSAFE_LOADERS = frozenset(
    f"yaml.{prefix}{kind}Loader" for prefix in ("", "C") for kind in ("", "Full", "Unsafe")
) | frozenset(f"yaml.loader.{kind}Loader" for kind in ("", "Full", "Unsafe"))


class DeserializationFixer(CodemodFixer):
    cwes = frozenset({502})

    def fix_source(self, source: SourceFile, finding: Finding, read: Reader) -> Fix | None:
        call = source.call_at(finding.location)
        if call is None:
            return None
        names = source.qualified_names(call.func)
        editor = Editor(source)
        for name in sorted(names):
            if name in _PICKLE:
                return _to_json(editor, call, name)
            if name in _YAML:
                return _to_safe_load(editor, call, name)
        return None


def _to_json(editor: Editor, call: cst.Call, name: str) -> Fix | None:
    module, function = name.rsplit(".", 1)
    data = argument(call, 0, "data", "file")
    if data is None:
        return None
    replacement = _replace_function(editor, call, "json", function)
    if replacement is None:
        return None
    # pickle's keywords (encoding, fix_imports, errors, buffers) mean nothing to json.
    editor.replace(call, replacement.with_changes(args=[_only(data, call)]))
    _drop(editor, call, module, function)
    return finish("Read the data as JSON instead of unpickling it, so it can only hold plain values", editor)


def _to_safe_load(editor: Editor, call: cst.Call, name: str) -> Fix | None:
    source = editor.source
    module, function = name.rsplit(".", 1)
    stream = argument(call, 0, "stream")
    loader = argument(call, 1, "Loader")
    if stream is None or len(call.args) > (2 if loader is not None else 1):
        return None
    if loader is not None and not source.qualified_names(loader.value) & _UNSAFE_LOADERS:
        return None  # a safe loader needs no fix; a custom one may need its constructors
    safe = _YAML[name]
    replacement = _replace_function(editor, call, module, safe)
    if replacement is None:
        return None
    editor.replace(call, replacement.with_changes(args=[_only(stream, call)]))
    _drop(editor, call, module, function)
    if loader is not None:
        for loader_name in source.qualified_names(loader.value):
            loader_module, _, loader_class = loader_name.rpartition(".")
            editor.drop_unused(loader_module, loader_class)
    return finish(f"Load the YAML with yaml.{safe}, which builds plain data only", editor)


def _replace_function(editor: Editor, call: cst.Call, module: str, function: str) -> cst.Call | None:
    """`call` calling `module.function` instead, spelled like the original where possible:
    `yaml.load` → `yaml.safe_load`, `load` (from yaml) → `safe_load`."""
    func = call.func
    if isinstance(func, cst.Attribute) and editor.source.qualified_names(func.value) == {module}:
        return call.with_changes(func=func.with_changes(attr=cst.Name(function)))
    new = editor.ref(module, function, call, prefer_from=isinstance(func, cst.Name))
    return call.with_changes(func=new) if new is not None else None


def _only(arg: cst.Arg, call: cst.Call) -> cst.Arg:
    """`arg` as the call's only argument, keeping the spacing before the closing paren."""
    return arg.with_changes(
        comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=call.args[-1].whitespace_after_arg
    )


def _drop(editor: Editor, call: cst.Call, module: str, function: str) -> None:
    if isinstance(call.func, cst.Name):
        editor.drop_unused(module, function)
    else:
        editor.drop_unused(module)
