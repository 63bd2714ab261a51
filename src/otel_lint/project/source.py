"""Reading a Python file into text the way CPython would: PEP 263 cookies, BOMs, any line ending."""

from __future__ import annotations

import ast
import codecs
import re
import warnings
from dataclasses import dataclass

_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
#: What ends a line for CPython: LF, CRLF or a lone CR. Not str.splitlines(), which also splits at
#: form feeds, U+2028 and other characters that Python source treats as ordinary text.
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTES = re.compile(rb"\r\n|\r|\n")
_LONE_CR = re.compile(r"\r(?!\n)")
#: Bytes that are not UTF-8, kept as lone surrogates by the surrogateescape error handler.
_ESCAPED = re.compile("[\udc80-\udcff]")


class UnreadableSource(Exception):
    """The bytes are not Python source text; the message says why."""


@dataclass(frozen=True)
class SourceText:
    text: str
    encoding: str
    bom: bool


def declared_encoding(data: bytes) -> str | None:
    """The encoding a PEP 263 cookie in the first two lines declares, or None."""
    lines = _LINE_END_BYTES.split(data, 2)[:2]
    for number, line in enumerate(lines):
        match = _COOKIE.match(line)
        if match:
            return match.group(1).decode("ascii", "replace")
        # The cookie may be on line 2 only if line 1 is a comment or blank.
        if number == 0 and line.strip() and not line.lstrip().startswith(b"#"):
            break
    return None


def _normal_name(encoding: str) -> str:
    """The name CPython's tokenizer gives a cookie's encoding.

    ``utf-8-sig`` and ``UTF_8`` are utf-8 (so a BOM goes with either), the ``latin-1`` spellings
    iso-8859-1; other names stay as written.
    """
    name = encoding[:12].lower().replace("_", "-")
    if name == "utf-8" or name.startswith("utf-8-"):
        return "utf-8"
    latin = ("latin-1", "iso-8859-1", "iso-latin-1")
    if name in latin or name.startswith(tuple(f"{spelling}-" for spelling in latin)):
        return "iso-8859-1"
    return encoding


def decode_source(data: bytes) -> SourceText:
    """Decode ``data`` as CPython decodes a source file, or raise UnreadableSource."""
    original = data
    bom = data.startswith(codecs.BOM_UTF8)
    if bom:
        data = data[len(codecs.BOM_UTF8) :]
    encoding = _normal_name(declared_encoding(data) or "utf-8")
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise UnreadableSource(f"unknown encoding {encoding!r} in the coding cookie") from None
    if bom and codec != "utf-8":
        raise UnreadableSource(f"a UTF-8 byte order mark with a {encoding!r} coding cookie")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        if codec == "utf-8" and _compiles(original):
            # CPython reads UTF-8 source token by token and never decodes a comment: a latin-1
            # "(c)" in one imports fine. Such bytes become lone surrogates, which give the bytes
            # back when the text is encoded again (parser_text shows them as U+FFFD).
            text = data.decode(codec, "surrogateescape")
        else:
            line = len(_LINE_END_BYTES.findall(data, 0, error.start)) + 1
            raise UnreadableSource(f"not valid {codec} (line {line}, byte {error.start})") from None
    except (ValueError, LookupError) as error:
        # A cookie naming a codec that is not a text encoding (rot13, zlib) or that fails in its
        # own way (punycode): CPython refuses such a file too.
        raise UnreadableSource(
            f"the cookie's encoding {encoding!r} cannot decode it: {error}"
        ) from None
    if "\x00" in text:
        line = len(_LINE_END.findall(text, 0, text.index("\x00"))) + 1
        raise UnreadableSource(f"contains a NUL byte (line {line})")
    return SourceText(text=text, encoding=codec, bom=bom)


def _compiles(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "invalid escape sequence" is the user's business
            compile(data, "<source>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def encode_source(text: str, source: SourceText) -> bytes:
    """Encode fixed text back in the file's own encoding, keeping its BOM."""
    data = text.encode(source.encoding, "surrogateescape")
    return codecs.BOM_UTF8 + data if source.bom else data


def source_lines(text: str) -> list[str]:
    """The lines of ``text`` as CPython numbers them, without their line ends, to be shown.

    Undecodable bytes in comments (see decode_source) show as U+FFFD.
    """
    lines = _LINE_END.split(_ESCAPED.sub("\ufffd", text))
    return lines[:-1] if len(lines) > 1 and not lines[-1] else lines


def parser_text(text: str) -> str:
    """``text`` as tree-sitter must see it: a lone CR made an LF, an undecodable byte U+FFFD.

    Tree-sitter ends lines only at LF, and ast-grep-py takes no lone surrogates. One character
    for one, so offsets and columns into the result are offsets and columns into ``text``; CRLF
    is left alone (the CR is the last character of its line either way).
    """
    if "\r" in text:
        text = _LONE_CR.sub("\n", text)
    return _ESCAPED.sub("\ufffd", text)
