"""py/weak-random: values of the `random` module that become secrets."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from firstpatch.analysis.patterns.context import FunctionNode, ModuleContext, keyword, last_name
from firstpatch.analysis.patterns.localflow import NOTHING, Env, ForwardFlow, Origins
from firstpatch.analysis.patterns.registry import Hit, pattern_rule
from firstpatch.analysis.patterns.vocabulary import (
    describes,
    names_preference,
    names_secret,
    names_secret_maker,
    names_session,
    names_session_store,
    words,
)
from firstpatch.model import Confidence, Severity

# The functions of `random` (and methods of `random.Random`) that draw from the Mersenne Twister.
GENERATORS = frozenset(
    {
        "random",
        "randint",
        "randrange",
        "choice",
        "choices",
        "sample",
        "shuffle",
        "getrandbits",
        "randbytes",
        "uniform",
        "triangular",
        "betavariate",
        "binomialvariate",
        "expovariate",
        "gammavariate",
        "gauss",
        "lognormvariate",
        "normalvariate",
        "vonmisesvariate",
        "paretovariate",
        "weibullvariate",
    }
)
# numpy's legacy global generator is a Mersenne Twister too.
_NUMPY_GENERATORS = GENERATORS | {"rand", "randn", "random_sample", "bytes", "permutation"}
_COOKIE_SETTERS = frozenset({"set_cookie", "set_signed_cookie", "set_secure_cookie"})
_STORE_METHODS = frozenset({"update", "setdefault", "set", "__setitem__", "add", "insert"})
_SEEDED_ROUNDS = 3  # helpers returning helpers' values: enough for realistic chains


@pattern_rule(
    "py/weak-random",
    cwe=330,
    title="Predictable random value used as a secret",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    triggers=("random",),
)
def weak_random(context: ModuleContext) -> Iterator[Hit]:
    """A value drawn from the `random` module becomes a secret: a session entry, a token, a
    password, a nonce or salt, a one-time code, a cookie value. `random` is a Mersenne Twister:
    after 624 observed outputs an attacker predicts every later one, so a token made from it can
    be forged.

    What counts: the module's functions (`random.choice`, `randint`, `randrange`, `choices`,
    `sample`, `shuffle`, `getrandbits`, `randbytes`, `random`, `uniform`, `gauss`, ...) and the
    methods of `random.Random()` instances, and numpy's global generator (`numpy.random.randint`,
    ...); never `random.SystemRandom()` or `secrets`. The value
    is followed inside its function through assignments, f-strings, `str()`, slicing, joins and
    containers, and through same-module helpers whose return value is such a value. It becomes a
    secret when it is stored into a session (or a mapping or attribute whose name says session,
    token, secret, password, nonce, salt, otp, cookie, csrf or remember, or a qualified key such
    as `api_key` or `session_key` but not `cache_key`), set as a cookie value, passed as a
    keyword argument with such a name, assigned to such a variable, or returned from a function
    whose name says it makes one (`generate_token`, `new_password`, `generate_key`, but not
    `pick_key`). Session entries named as preferences (`session["theme"]`) or descriptions
    (`expiry_time`) are not secrets. One report per
    value, at the first place it becomes a secret. Random numbers for games, sampling, shuffling
    and retry jitter are not reported, nor is test code.

    Fix: use `secrets.token_urlsafe()`, `secrets.token_hex()`, `secrets.choice()` or
    `random.SystemRandom()`."""
    if not any(target.split(".")[0] in ("random", "numpy") for target in context.imports.values()):
        return
    instances = _random_attributes(context)
    helpers: dict[FunctionNode, str] = {}
    for _ in range(_SEEDED_ROUNDS):  # same-module helpers whose return value is drawn from random
        before = len(helpers)
        for function, body in _scopes(context, helpers):
            if function is None or function in helpers or names_secret_maker(function.name):
                continue
            flow = _SecretFlow(context, function, instances, helpers, report=False)
            flow.run(body, {})
            if flow.returned:
                helpers[function] = _describe(flow.returned, flow.generated)
        if len(helpers) == before:
            break
    for function, body in _scopes(context, helpers):
        flow = _SecretFlow(context, function, instances, helpers, report=True)
        flow.run(body, {})
        yield from flow.hits


def _scopes(
    context: ModuleContext, helpers: dict[FunctionNode, str]
) -> list[tuple[FunctionNode | None, list[ast.stmt]]]:
    """The bodies that call something that may draw from random: the functions, and the module
    with its class bodies. A call's name is enough here; the walk decides."""
    names = GENERATORS | {helper.name for helper in helpers}
    drawing = {function for call, function, _ in context.nodes(ast.Call) if last_name(call.func) in names}
    scopes: list[tuple[FunctionNode | None, list[ast.stmt]]] = [
        (function, function.body) for function in drawing if function is not None
    ]
    scopes.sort(key=lambda scope: scope[1][0].lineno if scope[1] else 0)
    if None in drawing:
        scopes.append((None, context.module.tree.body))
        scopes.extend((None, node.body) for node, _, _ in context.nodes(ast.ClassDef))
    return scopes


def _random_attributes(context: ModuleContext) -> frozenset[str]:
    """Attributes bound to `random.Random(...)` anywhere in the module (`self.rng`)."""
    names: set[str] = set()
    for node, _, _ in context.nodes(ast.Assign):
        if _makes_random(context, node.value):
            names.update(t.attr for t in node.targets if isinstance(t, ast.Attribute))
    return frozenset(names)


def _makes_random(context: ModuleContext, value: ast.expr) -> bool:
    return isinstance(value, ast.Call) and context.resolve(value.func) == "random.Random"


def _describe(origins: Origins, generated: dict[ast.AST, str]) -> str:
    return sorted(generated.get(o, "random") for o in origins)[0]


class _SecretFlow(ForwardFlow):
    def __init__(
        self,
        context: ModuleContext,
        function: FunctionNode | None,
        instances: frozenset[str],
        helpers: dict[FunctionNode, str],
        *,
        report: bool,
    ) -> None:
        super().__init__()
        self.context = context
        self.function = function
        self.instances = instances
        self.helpers = helpers
        self.report = report
        owner = context.parent(function) if function is not None else None
        self.owner_class = owner if isinstance(owner, ast.ClassDef) else None
        self.module_helpers = {f.name: f for f in helpers if context.parent(f) is None}
        self.generated: dict[ast.AST, str] = {}
        self.returned: Origins = NOTHING
        self.hits: list[Hit] = []
        self._sinks: set[ast.AST] = set()
        self._reported: set[ast.AST] = set()

    # ---- where values come from -------------------------------------------------------------
    def seed(self, call: ast.Call, env: Env) -> Origins:
        name = self._generator(call)
        if name is None:
            return NOTHING
        self.generated[call] = name
        return frozenset({call})

    def _generator(self, call: ast.Call) -> str | None:
        func = call.func
        resolved = self.context.resolve(func)
        if resolved is not None:
            module, _, attr = resolved.rpartition(".")
            if module == "random" and attr in GENERATORS:
                return resolved
            return resolved if module == "numpy.random" and attr in _NUMPY_GENERATORS else None
        if isinstance(func, ast.Attribute) and func.attr in GENERATORS:
            receiver = func.value
            if isinstance(receiver, ast.Call) and self.context.resolve(receiver.func) == "random.Random":
                return f"random.Random().{func.attr}"
            if (isinstance(receiver, ast.Attribute) and receiver.attr in self.instances) or (
                isinstance(receiver, ast.Name) and self._bound_to_random(receiver.id)
            ):
                return f"random.Random().{func.attr}"
        if isinstance(func, ast.Name) and (helper := self.module_helpers.get(func.id)):
            return f"{func.id}() (returns {self.helpers[helper]})"
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("self", "cls")
            and self.owner_class is not None
        ):
            for helper, what in self.helpers.items():
                if helper.name == func.attr and self.context.parent(helper) is self.owner_class:
                    return f"{func.value.id}.{func.attr}() (returns {what})"
        return None

    def _bound_to_random(self, name: str) -> bool:
        """Whether the nearest scope that binds the name assigns it a `random.Random`."""
        for scope in (*self.context.functions_around(self.function), None):
            if name in self.context.other_bindings(scope):
                return False
            if values := self.context.assignments(scope).get(name):
                return any(_makes_random(self.context, value) for value in values)
        return False

    # ---- where values become secrets ------------------------------------------------------------
    def on_call(self, call: ast.Call, env: Env) -> None:
        func = call.func
        method = func.attr if isinstance(func, ast.Attribute) else None
        if (self._generator(call) or "").endswith(".shuffle") and call.args:
            shuffled = call.args[0]
            if isinstance(shuffled, ast.Name):  # shuffle() draws in place
                env[shuffled.id] = env.get(shuffled.id, NOTHING) | {call}
                self.generated[call] = "random.shuffle"
        if not self.report:
            return
        if method in _COOKIE_SETTERS:
            value = call.args[1] if len(call.args) > 1 else keyword(call, "value")
            self._sink(call, self.origins(value, env), "a cookie value")
        if method in _STORE_METHODS and isinstance(func, ast.Attribute):
            store = last_name(func.value) or ""
            if names_session_store(store):
                carried = frozenset().union(*(self.origins(a, env) for a in call.args))
                carried |= frozenset().union(*(self.origins(k.value, env) for k in call.keywords))
                self._sink(call, carried, f"an entry of `{store}`")
        for argument in call.keywords:
            if argument.arg and _secret_name(argument.arg):
                self._sink(
                    argument.value, self.origins(argument.value, env), f"the `{argument.arg}` argument"
                )

    def on_dict(self, node: ast.Dict, env: Env) -> None:
        if not self.report:
            return
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and _secret_name(key.value):
                self._sink(value, self.origins(value, env), f"the `{key.value}` entry")

    def on_store(self, target: ast.expr, origins: Origins, statement: ast.stmt) -> None:
        if not (self.report and origins):
            return
        what = _secret_target(target)
        if what is not None:
            self._sink(statement, origins, what)

    def on_return(self, statement: ast.Return, origins: Origins) -> None:
        self.returned |= origins
        if self.report and self.function is not None and names_secret_maker(self.function.name):
            self._sink(statement, origins, f"the return value of `{self.function.name}()`")

    def _sink(self, node: ast.AST, origins: Origins, what: str) -> None:
        if not origins or node in self._sinks or origins <= self._reported:
            return
        self._sinks.add(node)
        self._reported |= origins
        first = min(origins, key=lambda o: (getattr(o, "lineno", 0), getattr(o, "col_offset", 0)))
        source = self.generated.get(first, "random")
        steps = ((first, f"drawn from {source}"), (node, f"becomes {what}"))
        message = (
            f"A value from `{source}` (line {getattr(first, 'lineno', 0)}) becomes {what}; `random` is "
            "predictable, so the secret can be guessed. Use the `secrets` module."
        )
        self.hits.append(Hit(node, message, steps))


def _secret_name(name: str) -> bool:
    return names_secret(name) or names_session(name) or "cookie" in words(name)


def _secret_target(target: ast.expr) -> str | None:
    """How an assignment target reads as a secret, or None."""
    match target:
        case ast.Name(id=name) if _secret_name(name):
            return f"the variable `{name}`"
        case ast.Attribute(value=base, attr=attr) if _secret_name(attr) or names_session_store(
            last_name(base) or ""
        ):
            return f"the attribute `{attr}`"
        case ast.Subscript(value=base, slice=key):
            store = last_name(base) or ""
            constant = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
            if constant is not None and _secret_name(constant):
                return f"`{store}['{constant}']`"
            # session["theme"] holds a preference, credentials["expiry_time"] a description
            plain = constant is not None and (names_preference(constant) or describes(constant))
            if (names_session_store(store) or _secret_name(store)) and not plain:
                return f"an entry of `{store}`"
    return None
