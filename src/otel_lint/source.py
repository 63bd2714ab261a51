"""Reading a Python file into text the way CPython would: PEP 263 cookies, BOMs, any line ending."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


class UnreadableSource(Exception):
    """The bytes are not Python source text; the message says why."""


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str
    bom: bool


def declared_encoding(data: bytes) -> str | None:
    """The encoding a PEP 263 cookie in the first two lines declares, or None."""
    lines = data.split(b"\n", 2)[:2]
    for number, line in enumerate(lines):
        match = _COOKIE.match(line)
        if match:
            return match.group(1).decode("ascii", "replace")
        # The cookie may be on line 2 only if line 1 is a comment or blank.
        if number == 0 and line.strip() and not line.lstrip().startswith(b"#"):
            break
    return None


def decode_source(data: bytes) -> SourceText:
    """Decode ``data`` as CPython decodes a source file, or raise UnreadableSource."""
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
    encoding = declared_encoding(data) or "utf-8"
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise UnreadableSource(f"unknown encoding {encoding!r} in the coding cookie") from None
    if bom and codec != "utf-8":
        raise UnreadableSource(f"a UTF-8 byte order mark with a {encoding!r} coding cookie")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UnreadableSource(f"not valid {codec} (line {line}, byte {error.start})") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise UnreadableSource(f"contains a NUL byte (line {line})")
    return SourceText(text=text, encoding=codec, bom=bom)


def encode_source(text: str, source: SourceText) -> bytes:
    """Encode fixed text back in the file's own encoding, keeping its BOM."""
    data = text.encode(source.encoding)
    return codecs.BOM_UTF8 + data if source.bom else data
