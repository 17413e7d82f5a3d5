"""Putting target-supplied text into GitHub-flavoured Markdown so that it stays text.

A file name, a code snippet or a parameter name comes from the scanned repository, which may be
hostile. In a pull-request comment such text must not open HTML, draw a link or an image, mention
a user or a team (`@org/team` notifies people) or reference another issue (`#12` leaves a
back-link there). Each context gets its own treatment:

- prose: every ASCII punctuation character is backslash-escaped (CommonMark allows escaping
  any of them, and an escaped character is always literal), and the sequences that GitHub turns
  into mentions, references and bare-URL links are broken with an invisible WORD JOINER;
- inline code and fenced blocks: nothing inside is interpreted, so only the delimiter has to be
  longer than any run of backticks in the text;
- HTML (`<summary>`): entity-escaped, since Markdown is not read inside an HTML block.
"""

from __future__ import annotations

import html
import re
import string

# Invisible, and not a space: "@\u2060user" reads as "@user" but mentions nobody.
WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
# What GitHub links by itself: @user and @org/team, #123 and GH-123, bare URLs and www. hosts.
_AUTOLINKED = re.compile(r"(@)(?=[A-Za-z0-9])|(#)(?=\d)|(?<=GH)(-)(?=\d)|(:)(?=//)|(?<=www)(\.)", re.I)
_BACKTICKS = re.compile(r"`+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _defuse_links(text: str) -> str:
    return _AUTOLINKED.sub(lambda m: m.group(0) + WORD_JOINER, text)


def _printable(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def prose(text: str) -> str:
    """One line of literal text for a paragraph or a table cell (newlines become spaces)."""
    flat = " ".join(_printable(text).split())
    return _PUNCTUATION.sub(r"\\\1", _defuse_links(flat))


def prose_block(text: str) -> str:
    """Several paragraphs of literal text: blank lines are kept, every other line break is a
    hard break, and indentation is dropped so that no line becomes a code block."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    rendered = []
    for paragraph in paragraphs:
        lines = [prose(line) for line in paragraph.splitlines() if line.strip()]
        rendered.append("  \n".join(lines))
    return "\n\n".join(p for p in rendered if p)


def code(text: str, *, in_table: bool = False) -> str:
    """Inline code: literal whatever it holds. In a table cell a pipe still ends the cell unless
    escaped (GFM removes the backslash again inside the code span)."""
    flat = " ".join(_printable(text).splitlines()) or " "
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    # A space on each side lets the text start or end with a backtick; CommonMark strips it.
    padded = f" {flat} " if flat[0] in "` " or flat[-1] in "` " else flat
    result = f"{fence}{padded}{fence}"
    return result.replace("|", "\\|") if in_table else result


def fenced(text: str, language: str = "") -> str:
    """A fenced code block that no line of `text` can close early."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = _printable(text).rstrip("\n")
    return f"{fence}{language}\n{body}\n{fence}"


def html_text(text: str) -> str:
    """Text inside an HTML element such as `<summary>`: entities, and no mentions or links."""
    return _defuse_links(html.escape(" ".join(_printable(text).split()), quote=True))
