"""Reading Python literals from syntax nodes without evaluating anything."""

from __future__ import annotations

import re

from ast_grep_py import SgNode

_PREFIX = re.compile(r"^[rRuUbBfFtT]*")


def _split(text: str) -> tuple[str, str, str]:
    """A literal's text as (prefix, quote, text after the prefix): ``rb"x"`` gives ``rb``, ``"``."""
    prefix = _PREFIX.match(text)
    flags = prefix.group(0) if prefix else ""
    body = text[len(flags) :]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    return flags, quote, body


def string_quote(node: SgNode) -> str:
    """The quote that delimits the string literal ``node``: one of ``"``, ``'``, or tripled."""
    return _split(node.text())[1]


def string_value(node: SgNode | None) -> str | None:
    """The value of a plain (non-f, non-bytes) string literal node, or None.

    Escapes are kept as written except the common ones; attribute keys and units do not use them.
    """
    if node is None or node.kind() != "string":
        return None
    flags, quote, body = _split(node.text())
    if any(kind in flags.lower() for kind in "fbt"):  # formatted, bytes, template (3.14)
        return None
    if any(child.kind() == "interpolation" for child in node.children()):
        return None
    return body[len(quote) : len(body) - len(quote)]


def with_string_value(node: SgNode, value: str) -> str:
    """The literal ``node`` rewritten to hold ``value``, keeping its prefix and quotes."""
    flags, quote, _ = _split(node.text())
    return f"{flags}{quote}{value}{quote}"


def is_literal(node: SgNode) -> bool:
    """Whether ``node`` is a literal value: a number, a plain string, or a tuple or list of them."""
    kind = node.kind()
    if kind in ("integer", "float", "true", "false", "none"):
        return True
    if kind == "string":
        return not any(child.kind() == "interpolation" for child in node.children())
    if kind in ("concatenated_string", "tuple", "list"):
        return all(is_literal(child) for child in node.children() if child.is_named())
    return False
