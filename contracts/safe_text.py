"""Text from a target (or a proxy client) made safe to show: on a terminal, in XML, in any report.

A target controls much of what the kit reports (error codes, messages, ids, whole bodies). Shown as
it came, a terminal would obey its escape sequences (colours, a cleared screen, a hyperlink, a new
window title), a carriage return would overwrite a line, a bidi override would reorder it, and XML
1.0 or UTF-8 could not hold it at all (C0 controls, lone surrogates). `printable` writes each such
character as a visible escape instead (`\\x1b`, `\\u202e`, `\\ud800`), the way Python's repr does;
every report and the console pass every text through it. Formats add their own escaping on top
(HTML entities, Markdown code spans and fences).
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), the
# bidi controls of "Trojan Source", lone surrogates, and the two code points XML 1.0 forbids
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
MAX_TEXT = 4000  # characters of one message kept in a report (a hostile target's text has no end)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every character a terminal, XML or UTF-8 cannot take as it is written as an escape;
    newlines and tabs stay (messages have lines)."""
    return _UNSAFE.sub(_escaped, text)


def one_line(text: str) -> str:
    """`printable`, and newlines written as `\\n` too: for places where a line break would let the
    text pass for a line of its own (a console summary line, a table cell)."""
    return printable(text).replace("\n", "\\n").replace("\t", "\\t")


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """At most `limit` characters of `text`, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} … ({len(text) - limit} more characters not shown)"
