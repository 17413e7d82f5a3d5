"""Alpine's version ordering, as apk-tools compares versions token by token.

univers orders Alpine versions with Gentoo's grammar, which refuses versions apk accepts
(`1.2_git1`, `6.6.2p1`, `0.8.21.r2`), so this is the one correction for Alpine. A version is a
sequence of tokens: numbers separated by dots (a dotted number with leading zeros sorts by
them first), a letter glued to a number, `_suffix` with an optional number (`alpha`, `beta`,
`pre`, `rc` sort before the release, `cvs`, `svn`, `git`, `hg`, `p` after it) and `-rN`. A
token that breaks the grammar ends the version; the version that broke sorts first, as the
latest apk-tools does.
"""

from __future__ import annotations

import enum

_PRE_SUFFIXES = ("alpha", "beta", "pre", "rc")
_POST_SUFFIXES = ("cvs", "svn", "git", "hg", "p")


class Token(enum.IntEnum):
    INVALID = -1
    DIGIT_OR_ZERO = 0
    DIGIT = 1
    LETTER = 2
    SUFFIX = 3
    SUFFIX_NO = 4
    REVISION_NO = 5
    END = 6


# A dot with no number after it (`0.r1`) sorts below any number and below a letter in its place.
_NO_NUMBER = -(2**31)

Tokens = tuple[tuple[Token, int], ...]

# Moving to a token kind lower than the current one breaks the grammar, except these steps.
_BACKWARDS_ALLOWED = {
    (Token.DIGIT, Token.DIGIT_OR_ZERO),  # 1.2
    (Token.SUFFIX_NO, Token.SUFFIX),  # _rc1_p2
    (Token.LETTER, Token.DIGIT),  # 1a2
}


def _next_kind(current: Token, text: str, at: int) -> tuple[Token, int]:
    """The kind of the token starting at `at`, and where its value starts."""
    if at >= len(text):
        return Token.END, at
    char = text[at]
    if current in (Token.DIGIT, Token.DIGIT_OR_ZERO) and char.islower() and char.isascii():
        return Token.LETTER, at
    if current is Token.LETTER and char.isdigit():
        kind, start = Token.DIGIT, at
    elif current is Token.SUFFIX and char.isdigit():
        kind, start = Token.SUFFIX_NO, at
    elif char == ".":
        kind, start = Token.DIGIT_OR_ZERO, at + 1
    elif char == "_":
        kind, start = Token.SUFFIX, at + 1
    elif char == "-" and text[at + 1 : at + 2] == "r" and not text[at + 2 : at + 3].isalpha():
        kind, start = Token.REVISION_NO, at + 2  # `-ruff` is no revision: the version breaks at `-`
    else:
        return Token.INVALID, at
    if kind < current and (current, kind) not in _BACKWARDS_ALLOWED:
        return Token.INVALID, at
    return kind, start


def _digits(text: str, at: int) -> int:
    end = at
    while end < len(text) and text[end].isdigit():
        end += 1
    return end


def tokens(text: str) -> Tokens:
    """The version's tokens with their values, ending with END or INVALID."""
    out: list[tuple[Token, int]] = []
    kind, at = Token.DIGIT, 0
    if not text:
        return ((Token.INVALID, 0),)
    while kind not in (Token.END, Token.INVALID):
        value = 0
        forced: Token | None = None
        if kind is Token.DIGIT_OR_ZERO and text[at : at + 1] == "0":
            end = at
            while end < len(text) and text[end] == "0":
                end += 1
            value, forced = -(end - at), Token.DIGIT  # leading zeros: more zeros sort lower
        elif kind in (Token.DIGIT, Token.DIGIT_OR_ZERO, Token.SUFFIX_NO, Token.REVISION_NO):
            end = _digits(text, at)
            value = int(text[at:end]) if end > at else 0
            if end == at and kind is Token.DIGIT_OR_ZERO:
                value = _NO_NUMBER
        elif kind is Token.LETTER:
            value, end = ord(text[at]), at + 1
        else:  # SUFFIX
            suffix = next((s for s in _PRE_SUFFIXES if text.startswith(s, at)), None)
            if suffix is not None:
                value = _PRE_SUFFIXES.index(suffix) - len(_PRE_SUFFIXES)
            else:
                suffix = next((s for s in _POST_SUFFIXES if text.startswith(s, at)), None)
                if suffix is None:
                    out.append((Token.INVALID, 0))
                    break
                value = _POST_SUFFIXES.index(suffix)
            end = at + len(suffix)
        out.append((kind, value))
        if end >= len(text):
            kind = Token.END
        elif forced is not None:
            kind, at = forced, end
        else:
            kind, at = _next_kind(kind, text, end)
        if kind in (Token.END, Token.INVALID):
            out.append((kind, 0))
    return tuple(out)


def compare(a: Tokens, b: Tokens) -> int:
    """-1, 0 or 1 as apk orders the two token sequences."""
    for (kind_a, value_a), (kind_b, value_b) in zip(a, b, strict=False):
        if kind_a != kind_b:
            return _different_kinds((kind_a, value_a), (kind_b, value_b))
        if value_a != value_b:
            return -1 if value_a < value_b else 1
        if kind_a in (Token.END, Token.INVALID):
            return 0
    return 0


def _different_kinds(a: tuple[Token, int], b: tuple[Token, int]) -> int:
    """Equal so far, then the versions go on differently: a broken version sorts first; a
    pre-release suffix sorts before the end; otherwise the version that goes on is greater."""
    if a[0] is Token.INVALID:
        return -1
    if b[0] is Token.INVALID:
        return 1
    if a == (Token.DIGIT_OR_ZERO, _NO_NUMBER):
        return -1
    if b == (Token.DIGIT_OR_ZERO, _NO_NUMBER):
        return 1
    if a[0] is Token.SUFFIX and a[1] < 0:
        return -1
    if b[0] is Token.SUFFIX and b[1] < 0:
        return 1
    return -1 if a[0] > b[0] else 1
