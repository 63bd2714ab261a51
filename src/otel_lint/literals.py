"""Reading Python literals from syntax nodes without evaluating anything."""

from __future__ import annotations

import re

from ast_grep_py import SgNode

_PREFIX = re.compile(r"^[rRuUbBfF]*")


def string_value(node: SgNode | None) -> str | None:
    """The value of a plain (non-f, non-bytes) string literal node, or None.

    Escapes are kept as written except the common ones; attribute keys and units do not use them.
    """
    if node is None or node.kind() != "string":
        return None
    text = node.text()
    prefix = _PREFIX.match(text)
    flags = prefix.group(0).lower() if prefix else ""
    if "f" in flags or "b" in flags:
        return None
    if any(child.kind() == "interpolation" for child in node.children()):
        return None
    body = text[len(flags) :]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    return body[len(quote) : len(body) - len(quote)]


def with_string_value(node: SgNode, value: str) -> str:
    """The literal ``node`` rewritten to hold ``value``, keeping its prefix and quotes."""
    text = node.text()
    prefix = _PREFIX.match(text)
    flags = prefix.group(0) if prefix else ""
    body = text[len(flags) :]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    return f"{flags}{quote}{value}{quote}"
