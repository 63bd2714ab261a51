"""Reading call expressions (``receiver.method(arguments)``) from syntax nodes.

Every check that looks at a call asks the same questions: which name is called, on what, with
which arguments. They are answered once, here.
"""

from __future__ import annotations

from ast_grep_py import SgNode


def callee_name(call: SgNode) -> str:
    """The last name of what is called: ``get`` in ``requests.get(...)``, ``len`` in ``len(x)``."""
    function = call.field("function")
    if function is None:
        return ""
    if function.kind() == "attribute":
        attribute = function.field("attribute")
        return attribute.text() if attribute is not None else ""
    return function.text().rsplit(".", 1)[-1]


def method_name(call: SgNode) -> str | None:
    """The method's name for ``receiver.method(...)``; None for a plain function call."""
    function = call.field("function")
    if function is None or function.kind() != "attribute":
        return None
    attribute = function.field("attribute")
    return attribute.text() if attribute is not None else None


def call_receiver(call: SgNode) -> SgNode | None:
    """The ``receiver`` of ``receiver.method(...)``; None for a plain function call."""
    function = call.field("function")
    if function is None or function.kind() != "attribute":
        return None
    return function.field("object")


def call_arguments(call: SgNode) -> list[SgNode]:
    """Every argument node in order (positional, keyword and splats), without comments."""
    arguments = call.field("arguments")
    if arguments is None:
        return []
    return [c for c in arguments.children() if c.is_named() and c.kind() != "comment"]


def positional_arguments(call: SgNode) -> list[SgNode]:
    """The positional arguments whose position is known: those before any ``*args``."""
    found = []
    for argument in call_arguments(call):
        kind = argument.kind()
        if kind == "list_splat":
            break
        if kind not in ("keyword_argument", "dictionary_splat"):
            found.append(argument)
    return found


def keyword_argument(call: SgNode, name: str) -> SgNode | None:
    """The value passed as ``name=...``, or None."""
    for argument in call_arguments(call):
        if argument.kind() == "keyword_argument":
            key = argument.field("name")
            if key is not None and key.text() == name:
                return argument.field("value")
    return None


def call_argument(call: SgNode, position: int | None, keyword: str) -> SgNode | None:
    """The value passed at ``position`` (0-based; None: keyword only) or as ``keyword=``."""
    if position is not None:
        positional = positional_arguments(call)
        if len(positional) > position:
            return positional[position]
    return keyword_argument(call, keyword)
