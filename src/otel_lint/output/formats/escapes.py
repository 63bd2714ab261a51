"""Text from files made safe to show: what the reader sees is what the file holds, escaped.

A file name, a source line or an attribute key quoted in a message can hold an escape sequence
(which clears a terminal or sets its title), a newline followed by ``::error ...`` (which GitHub
Actions runs as a workflow command when it starts a line of the log), or a bidirectional override
(which shows the text in another order than it is read). Each such character is shown as its
Python escape, so no output line starts with text the reader did not write.
"""

from __future__ import annotations

import re

#: C0 controls but tab, DEL, C1 controls, the line and paragraph separators, the bidirectional
#: embeddings, overrides and isolates, and lone surrogates (names that are not valid UTF-8).
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    character = match.group()
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that could forge or hide output shown as an escape."""
    return _UNSAFE.sub(_escape, text)
