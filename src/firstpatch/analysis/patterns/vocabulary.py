"""What identifiers and literals say about themselves: secret names, placeholder values.

Names are split into lower-case words at underscores, dashes, dots, digits and camelCase
boundaries (`apiKey` → api, key; `SESSION_COOKIE_SECURE` → session, cookie, secure), then matched
as whole words, so that `tokenizer`, `secretary` and `announce` say nothing about secrets.
"""

from __future__ import annotations

import functools
import itertools
import re

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")

# Words that name a credential on their own, whatever the value looks like.
_CREDENTIAL_WORDS = frozenset(
    {"password", "passwd", "pwd", "pw", "passphrase", "passcode", "secret", "apikey", "secretkey"}
    | {"privatekey", "credential", "credentials"}
)
# Words that name a secret value: credentials, and values that are secret while they live.
_SECRET_WORDS = _CREDENTIAL_WORDS | {"token", "nonce", "salt", "otp", "totp", "hotp", "csrf", "xsrf"}
# Owners that make a `key` a credential (`api_key`, `private_key`), not a session entry's name.
_CREDENTIAL_KEY_OWNERS = frozenset({"api", "private", "signing", "encryption", "master", "access", "secret"})
# Words that name what authenticates a user to the application.
_SESSION_WORDS = frozenset({"session", "sessionid", "sessid", "sid", "remember", "rememberme", "auth", "jwt"})
# Compound words kept whole by the splitter: `authtoken`, `dbpassword`, `csrftoken`.
_SECRET_ENDINGS = ("password", "passwd", "token", "secret", "apikey", "secretkey", "privatekey")
# `key` and `code` name a secret only next to one of these: `api_key`, `reset_code`, but not
# `cache_key`, `sort_key` or `status_code`.
_KEY_QUALIFIERS = frozenset(
    {
        "api",
        "secret",
        "private",
        "signing",
        "sign",
        "session",
        "access",
        "auth",
        "encryption",
        "encrypt",
        "crypto",
        "aes",
        "hmac",
        "master",
        "license",
        "activation",
        "reset",
        "verification",
        "verify",
        "invite",
        "recovery",
        "confirm",
        "confirmation",
        "unsubscribe",
        "magic",
        "otp",
        "mfa",
        "login",
    }
)
# Verbs of functions that make a key rather than find one.
_MAKER_WORDS = frozenset(
    {"generate", "gen", "make", "new", "create", "random", "rand", "issue", "rotate", "derive"}
)
_FINDER_WORDS = frozenset({"pick", "choose", "select", "get", "find", "lookup", "load", "read", "fetch"})
# Words that make a `key` a lookup key: `cache_key`, `sort_key`, `make_shard_key`.
_LOOKUP_WORDS = frozenset(
    {"cache", "sort", "lookup", "dict", "map", "partition", "shard", "primary", "foreign", "group"}
    | {"hash", "redis", "memo", "dedupe", "bucket", "row", "index", "registry", "storage", "idempotency"}
)
# Words that say the name holds something about a secret rather than the secret itself:
# `password_field`, `token_url`, `PASSWORD_RESET_TIMEOUT`, `secret_name`.
_DESCRIBING_WORDS = frozenset(
    {
        "url",
        "uri",
        "endpoint",
        "path",
        "file",
        "filename",
        "dir",
        "name",
        "field",
        "label",
        "prompt",
        "type",
        "length",
        "len",
        "min",
        "max",
        "count",
        "size",
        "expiry",
        "expires",
        "expiration",
        "timeout",
        "ttl",
        "lifetime",
        "age",
        "header",
        "param",
        "parameter",
        "regex",
        "pattern",
        "format",
        "validator",
        "validators",
        "hint",
        "help",
        "message",
        "msg",
        "error",
        "placeholder",
        "policy",
        "algorithm",
        "algorithms",
        "alg",
        "method",
        "env",
        "var",
        "variable",
        "template",
        "input",
        "widget",
        "mode",
        "scheme",
        "style",
        "class",
        "column",
        "table",
        "provider",
        "backend",
        "kind",
        "prefix",
        "suffix",
        "separator",
        "encoding",
        "charset",
        "chars",
        "alphabet",
        "location",
        "rounds",
        "iterations",
        "hasher",
        "hashers",
        "view",
        "form",
        "page",
        "route",
        "required",
        "enabled",
        "display",
        "text",
        "title",
        "attribute",
        "attr",
        "option",
        "setting",
        "settings",
        "status",
        "sort",
        "index",
        "idx",
        "partition",
        "shard",
        "primary",
        "foreign",
        "row",
        "etag",
        "checksum",
        "fingerprint",
        "source",
        "version",
        "date",
        "time",
        "modified",
        "created",
        "updated",
        "last",
        "used",
        "arn",
        "active",
        # a token that marks a place in a sequence, not a secret
        "next",
        "pagination",
        "continuation",
        "cursor",
        "sync",
        "update",
        "marker",
    }
)


@functools.lru_cache(maxsize=8192)
def words(identifier: str) -> tuple[str, ...]:
    """The lower-case words of an identifier or string key."""
    return tuple(w.lower() for w in _WORD.findall(identifier))


def _names_secret(parts: tuple[str, ...], *, bare_key: bool) -> bool:
    if not parts or any(p in _DESCRIBING_WORDS for p in parts):
        return False
    bare_key = bare_key and not any(p in _LOOKUP_WORDS for p in parts)
    for index, part in enumerate(parts):
        if part in _SECRET_WORDS or part.endswith(_SECRET_ENDINGS):
            return True
        if part in ("key", "code") and (
            (bare_key and part == "key")
            or any(q in _KEY_QUALIFIERS for q in parts[max(0, index - 2) : index])
        ):
            return True
    return False


@functools.lru_cache(maxsize=8192)
def names_secret(identifier: str) -> bool:
    """Whether a variable, attribute, key or parameter name says it holds a secret:
    a password, token, nonce, salt, one-time code or a qualified key (`api_key`)."""
    return _names_secret(words(identifier), bare_key=False)


@functools.lru_cache(maxsize=8192)
def names_secret_maker(identifier: str) -> bool:
    """Whether a function's name says it makes or checks a secret; a bare `key` counts next to
    a verb that makes one (`generate_key`, `new_key`, but not `pick_key` or `get_key`)."""
    parts = words(identifier)
    makes = bool(set(parts) & _MAKER_WORDS) and not set(parts) & _FINDER_WORDS
    return _names_secret(parts, bare_key=makes)


@functools.lru_cache(maxsize=8192)
def names_session(identifier: str) -> bool:
    """Whether a name says it holds what authenticates a user: a session, an auth or remember-me
    value, or any secret."""
    parts = words(identifier)
    if any(p in _DESCRIBING_WORDS for p in parts):
        return False
    return any(p in _SESSION_WORDS for p in parts) or names_secret(identifier)


@functools.lru_cache(maxsize=8192)
def names_credential(identifier: str) -> bool:
    """Whether a name says credential by itself (`db_password`, `API_KEY`), where a vaguer
    secret name (`token`, `session_key`) needs a value that looks machine-made too."""
    parts = words(identifier)
    return any(p in _CREDENTIAL_WORDS or p.endswith(("password", "passwd", "secret")) for p in parts) or any(
        first in _CREDENTIAL_KEY_OWNERS and second == "key" for first, second in itertools.pairwise(parts)
    )


def describes(identifier: str) -> bool:
    """Whether a name holds something about a value rather than the value (`expiry_time`,
    `token_url`, `password_length`)."""
    return any(part in _DESCRIBING_WORDS for part in words(identifier))


def names_session_store(identifier: str) -> bool:
    """Whether a mapping or attribute is a session store (`session`, `request.session`, and
    compounds the splitter keeps whole: `mysession`, `usersessions`)."""
    return any(
        part.endswith(("session", "sessions")) for part in words(identifier)
    ) or identifier.lower() in (
        "sessions",
        "cookies",
    )


# Credential values that are not credentials.
_PLACEHOLDER_WORDS = frozenset(
    {
        "changeme",
        "change",
        "placeholder",
        "example",
        "dummy",
        "fake",
        "redacted",
        "todo",
        "fixme",
        "replace",
        "your",
        "none",
        "null",
        "nil",
        "undefined",
        "sample",
        "xxx",
        "here",
        "foo",
        "bar",
        "foobar",
        "mock",
    }
)
_NAME_LIKE = re.compile(r"[A-Za-z]+(?:[-_.][A-Za-z]+)*")  # letters and separators, no digits
# Values of flags and switches, not secrets.
_SWITCH_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "none", "null"})
_PLACEHOLDER_SHAPES = re.compile(
    r"""^(?:
        <[^>]*>                # <password>
      | \{[^}]*\}              # {password}, str.format fields
      | \$\{?[A-Za-z_]\w*\}?   # $PASSWORD, ${PASSWORD}: shell or env interpolation
      | %\(?\w*\)?s            # %s, %(password)s
      | ([^\w\s])\1*           # ****, ...., ----
      | [xX]+                  # xxxx
      | [A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+  # DB_PASSWORD: the name of an environment variable
    )$""",
    re.VERBOSE,
)
_NAME_ITSELF = frozenset({"password", "passwd", "secret", "token", "apikey", "api_key", "pass", "key"})
# A schema's description of the value (`{"password": "string"}`, `"token": "string?"`), not the value.
_TYPE_NAME = re.compile(
    r"(?:string|str|text|boolean|bool|int|integer|number|float|binary|bytes|object|array|any)(?:\?|\[\])?",
    re.IGNORECASE,
)


def is_placeholder(value: str) -> bool:
    """Whether a literal is an obvious stand-in rather than a real secret (documented examples,
    template fields, environment variable names, masks)."""
    text = value.strip()
    if len(text) < 4 or text.count(" ") > 2:  # too short to be a credential, or a sentence
        return True
    lowered = text.lower()
    if lowered in _NAME_ITSELF or lowered in _SWITCH_VALUES or _PLACEHOLDER_SHAPES.match(text):
        return True
    if _TYPE_NAME.fullmatch(text):
        return True
    if "example" in lowered or "***" in text or "{" in text or "%s" in text:
        return True
    parts = words(text)
    # A value that itself reads as a secret's name (`aws_secret_access_key`, `X-Api-Key`) is the
    # name of a setting or header, not its value.
    name_like = len(parts) > 1 and _NAME_LIKE.fullmatch(text) is not None and names_secret(text)
    return bool(set(parts) & _PLACEHOLDER_WORDS) or name_like


def looks_generated(value: str) -> bool:
    """Whether a literal looks machine-made: long, no spaces, letters mixed with digits or
    case changes. Required of values assigned to names as vague as `token`."""
    if len(value) < 12 or any(c.isspace() for c in value):
        return False
    has_digit = any(c.isdigit() for c in value)
    has_upper = any(c.isupper() for c in value)
    has_lower = any(c.islower() for c in value)
    return (has_digit and (has_upper or has_lower)) or (has_upper and has_lower)


# Cookies that hold a preference rather than anything that authenticates; a script may read
# them, and they may be sent over HTTP without harm.
_PREFERENCE_WORDS = frozenset(
    {
        "theme",
        "lang",
        "language",
        "locale",
        "tz",
        "timezone",
        "consent",
        "dark",
        "color",
        "colour",
        "font",
        "layout",
        "currency",
        "region",
        "country",
        "sidebar",
        "banner",
        "dismissed",
        "tab",
        "view",
        "sort",
        "prefs",
        "preference",
        "preferences",
        "seen",
        "tour",
    }
)


def names_preference(identifier: str) -> bool:
    return bool(set(words(identifier)) & _PREFERENCE_WORDS) and not names_session(identifier)
