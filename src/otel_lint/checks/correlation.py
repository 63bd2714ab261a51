"""Checks of the 1xx family: whether logs can be joined to the traces they were written under.

What counts as a bridge, and which bridges put ids on stdlib records, is decided in
``otel_lint.project.facts`` (by the project's version of opentelemetry-instrumentation-logging,
read from the releases 0.45b0 to 0.66b1); these checks only find the candidates that the
project's facts then keep or drop.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, Verdict, check, per_file
from otel_lint.checks.syntax.calls import call_argument, keyword_argument
from otel_lint.checks.syntax.constants import constant_literal, last_name, reaching_bindings
from otel_lint.checks.syntax.literals import string_quote, string_value, with_string_value
from otel_lint.project.facts import (
    LOG_BRIDGE,
    SPAN_READER,
    STDLIB_LOG_BRIDGE,
    is_test_file,
)

# --- OTL101: logging configured, nothing bridges it ---------------------------------------------

_ROOT_LOGGER = re.compile(
    r"^(logging\.getLogger\(\s*(None|\"\"|'')?\s*\)|logging\.root|getLogger\(\s*\))$"
)
_LOGURU_IMPORT = re.compile(r"^\s*from\s+loguru\s+import\s+[^\n]*\blogger\b", re.MULTILINE)


def _root_logger_names(root: SgNode) -> set[str]:
    """Names bound in this file to the root logger (``root = logging.getLogger()``)."""
    names: set[str] = set()
    for assignment in root.find_all(kind="assignment"):
        left, right = assignment.field("left"), assignment.field("right")
        if (
            left is not None
            and right is not None
            and left.kind() == "identifier"
            and _ROOT_LOGGER.match(right.text())
        ):
            names.add(left.text())
    return names


@check("OTL101")
def unbridged_logging_config(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    """Keep the configuration calls that shape production logging (the rule requires no bridge)."""
    if is_test_file(context.path):
        return
    function = node.field("function")
    if function is None:
        return
    name = function.text()
    if name.endswith(".addHandler"):
        receiver = name[: -len(".addHandler")]
        if not (_ROOT_LOGGER.match(receiver) or receiver in _root_logger_names(context.root)):
            return
    elif name == "logger.add" and not _LOGURU_IMPORT.search(context.text):
        return
    elif name in ("structlog.configure", "structlog.configure_once"):
        yield from _structlog_verdicts(node, context)
        return
    yield Verdict(requires=(f"!{LOG_BRIDGE}",))


#: A processor of a library that correlates by its name: Logfire's, an OpenTelemetry one, a
#: "trace" / "span" / "correlation" processor of a vendor. Taken on its word, unless this file
#: defines it (then its body decides, through the project's facts).
_TRACE_PROCESSOR = re.compile(
    r"trace(?!back)|span|otel|opentelemetry|logfire|correlat", re.IGNORECASE
)


_STRUCTLOG_MESSAGE = (
    "structlog is configured here, but none of its processors adds the trace and span ids (none"
    " reads the current span, itself or through a helper) and stdlib logging is not bridged either"
)


def _mutated(name: SgNode) -> bool:
    """Whether the list ``name`` holds may grow after it is bound: ``name.append(...)``,
    ``.extend`` / ``.insert``, ``name += ...``, ``name[i] = ...`` anywhere in the file (Haystack
    appends its correlation processor to ``shared_processors`` when JSON logging is on)."""
    written = re.compile(rf"\b{re.escape(name.text())}\s*(\.(append|extend|insert)\(|\+=|\[)")
    root = name.get_root().root()
    return written.search(root.text()) is not None


def _processor_names(value: SgNode, depth: int = 0) -> list[str] | None:
    """The names of the processors in a ``processors=`` value, as written (``mod.Adder``): a
    list or tuple literal, a local bound to one, ``+`` of those, ``*`` spreads of those. None when
    any part is out of sight (imported, built by a call, a lambda)."""
    if depth > 4:
        return None
    if value.kind() == "identifier":
        bound = reaching_bindings(value)
        if len(bound) != 1 or _mutated(value):
            return None
        return _processor_names(bound[0], depth + 1)
    if value.kind() == "binary_operator":
        left, right = value.field("left"), value.field("right")
        if left is None or right is None or value.field("operator") is None:
            return None
        first, second = _processor_names(left, depth + 1), _processor_names(right, depth + 1)
        return None if first is None or second is None else first + second
    if value.kind() not in ("list", "tuple"):
        return None
    names: list[str] = []
    for item in value.children():
        if not item.is_named() or item.kind() == "comment":
            continue
        if item.kind() == "list_splat":
            spread = next((c for c in item.children() if c.is_named()), None)
            inner = _processor_names(spread, depth + 1) if spread is not None else None
            if inner is None:
                return None
            names += inner
            continue
        target = item.field("function") if item.kind() == "call" else item
        if target is None or not last_name(target):
            return None
        names.append(target.text())
    return names


@per_file
def _defined_here(context: FileContext) -> frozenset[str]:
    """The functions and classes this file defines: judged by their body, not by their name."""
    return frozenset(
        name.text()
        for kind in ("function_definition", "class_definition")
        for definition in context.root.find_all(kind=kind)
        if (name := definition.field("name")) is not None
    )


def _structlog_verdicts(call: SgNode, context: FileContext) -> Iterator[Verdict]:
    """``structlog.configure(processors=[...])`` is judged by its processors: a finding unless one
    of them reads the current span (``span-reader:``, through the project's helpers too) or is a
    library's trace processor, or stdlib logging is bridged. Processors out of sight, or none
    given, leave the project-wide answer (any bridge at all)."""
    value = keyword_argument(call, "processors")
    names = _processor_names(value) if value is not None else None
    if names is None:
        yield Verdict(requires=(f"!{LOG_BRIDGE}",))
        return
    defined = _defined_here(context)
    if any(_TRACE_PROCESSOR.search(n) for n in names if last_name(n) not in defined):
        return
    readers = tuple(dict.fromkeys(f"!{SPAN_READER}{last_name(name)}" for name in names))
    yield Verdict(message=_STRUCTLOG_MESSAGE, requires=(f"!{STDLIB_LOG_BRIDGE}", *readers))


# --- OTL102: a format that drops the ids ----------------------------------------------------------

#: A field that renders a trace id: ``%(otelTraceID)s``, ``%(trace_id)s``, ``{trace.id}``.
TRACE_ID_FIELD = re.compile(r"trace[_.]?id", re.IGNORECASE)
_PLAIN_FORMATTER_CLASS = re.compile(r"^(logging\.)?Formatter$")


def _dict_entries(dictionary: SgNode) -> dict[str, SgNode]:
    """The string-keyed entries of a dict literal (value nodes by key)."""
    entries: dict[str, SgNode] = {}
    for pair in dictionary.children():
        if pair.kind() != "pair":
            continue
        key, value = string_value(pair.field("key")), pair.field("value")
        if key is not None and value is not None:
            entries[key] = value
    return entries


def _format_of(node: SgNode) -> SgNode | None:
    """The format string a candidate configures, where it is written as a literal."""
    if node.kind() == "pair":
        # A dictConfig formatter: {"format": "..."} under "formatters", using the stdlib class.
        dictionary = node.parent()
        if dictionary is None:
            return None
        entries = _dict_entries(dictionary)
        custom = entries.get("()") or entries.get("class")
        if custom is not None and not re.search(r"(^|\.)Formatter$", string_value(custom) or ""):
            return None
        return node.field("value")
    function = node.field("function")
    if function is not None and _PLAIN_FORMATTER_CLASS.match(function.text()):
        return call_argument(node, 0, "fmt")
    return call_argument(node, None, "format")


@check("OTL102")
def log_format_without_trace_id(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    literal = _format_of(node)
    if literal is not None and literal.kind() == "identifier":
        literal = constant_literal(literal, context)
    text = string_value(literal)
    if literal is None or text is None or TRACE_ID_FIELD.search(text):
        return
    yield Verdict(node=literal)


# --- OTL103: ids in the wrong shape -------------------------------------------------------------

#: W3C trace context: 32 and 16 lower-case hex digits.
_WIDTH = {"trace": 32, "span": 16}
_ID_ATTRIBUTE = re.compile(r"^(trace|span)_id$")
#: A name that holds an id: ``trace_id``, ``parent_span_id``, ``otelTraceID``, ``x-trace-id``.
_ID_NAME = re.compile(r"(trace|span)[_.-]?id$", re.IGNORECASE)
#: Receivers whose ``.trace_id`` is certainly the integer of a span context.
_SPAN_CONTEXT = re.compile(r"(get_span_context\(\)|context|ctx)$", re.IGNORECASE)
_HEX_SPEC = re.compile(r"^#?0?\d*[xX]$")


def _id_kind(node: SgNode | None, strict: bool) -> str | None:
    """``trace`` or ``span`` when ``node`` is an OpenTelemetry id integer.

    ``strict`` asks for a span-context receiver (``ctx.trace_id``); otherwise a bare ``trace_id``
    name also counts, for operations that fail on anything but an integer (``hex``, ``:x``).
    """
    if node is None:
        return None
    if node.kind() == "attribute":
        attribute, receiver = node.field("attribute"), node.field("object")
        found = _ID_ATTRIBUTE.match(attribute.text()) if attribute is not None else None
        if found is None or receiver is None:
            return None
        if strict and not _SPAN_CONTEXT.search(receiver.text()):
            return None
        return found.group(1)
    if node.kind() == "identifier" and not strict:
        found = _ID_ATTRIBUTE.match(node.text())
        return found.group(1) if found else None
    return None


def _spec(kind: str) -> str:
    return f"0{_WIDTH[kind]}x"


def _message(kind: str, shown: str) -> str:
    helper = "format_trace_id" if kind == "trace" else "format_span_id"
    return (
        f"{kind} id rendered as {shown}: W3C wants {_WIDTH[kind]} lower-case hex digits; use "
        f'`trace.{helper}(...)` or `format(..., "{_spec(kind)}")`'
    )


def _quote_for(node: SgNode) -> str | None:
    """A quote that may appear at ``node``, or None when there is none.

    Inside an f-string field, before Python 3.12, no enclosing string's own quote may appear (a
    triple-quoted one's may). In ``f"{f'{x}'}"`` neither quote is left.
    """
    taken = set()
    for ancestor in node.ancestors():
        if ancestor.kind() == "string" and len(quote := string_quote(ancestor)) == 1:
            taken.add(quote)
    return next((quote for quote in ('"', "'") if quote not in taken), None)


def _call_verdicts(call: SgNode) -> Iterator[Verdict]:
    function = call.field("function")
    name = function.text() if function is not None else ""
    if name in ("hex", "str"):
        arguments = call.field("arguments")
        if arguments is None or len([c for c in arguments.children() if c.is_named()]) != 1:
            return
        value = call_argument(call, 0, "")
        kind = _id_kind(value, strict=name == "str")
        if value is None or kind is None:
            return
        shown = "`hex()` (a 0x prefix, no padding)" if name == "hex" else "`str()` (decimal)"
        quote = _quote_for(call)
        yield Verdict(
            message=_message(kind, shown),
            fix=None if quote is None else f"format({value.text()}, {quote}{_spec(kind)}{quote})",
        )
    elif name == "format":
        value, spec = call_argument(call, 0, ""), call_argument(call, 1, "format_spec")
        kind = _id_kind(value, strict=False)
        wanted = string_value(spec)
        if kind is None or spec is None or wanted is None or not _HEX_SPEC.match(wanted):
            return
        if wanted != _spec(kind):
            yield Verdict(
                message=_message(kind, f'format spec "{wanted}"'),
                node=spec,
                fix=with_string_value(spec, _spec(kind)),
            )


def _interpolation_verdicts(node: SgNode) -> Iterator[Verdict]:
    named = [child for child in node.children() if child.is_named()]
    if not named or len(named) > 2:
        return
    if any(not c.is_named() and c.text() not in ("{", "}") for c in node.children()):
        return  # `{x=}` prints the expression too: rewriting it would change more than the format
    value = named[0]
    spec = named[1] if len(named) == 2 else None
    if spec is not None and spec.kind() != "format_specifier":
        return  # a conversion (!r) or a `=` debug field: not an id rendering we can judge
    kind = _id_kind(value, strict=spec is None)
    if kind is None:
        return
    if spec is None:
        shown = "an f-string field without a format spec (decimal)"
    else:
        wanted = spec.text()[1:]
        if not _HEX_SPEC.match(wanted) or wanted == _spec(kind):
            return
        shown = f'format spec "{wanted}"'
    yield Verdict(message=_message(kind, shown), fix=f"{{{value.text()}:{_spec(kind)}}}")


def _placeholder_target(node: SgNode) -> SgNode | None:
    """The name a zero string is given to: an assignment target, dict key, keyword or parameter,
    or the other side of a comparison."""
    parent = node.parent()
    if parent is None:
        return None
    kind = parent.kind()
    if kind == "assignment" and parent.field("right") == node:
        return parent.field("left")
    if kind == "pair" and parent.field("value") == node:
        return parent.field("key")
    if kind in ("keyword_argument", "default_parameter", "typed_default_parameter"):
        return parent.field("name")
    if kind == "comparison_operator":
        others = [c for c in parent.children() if c.is_named() and c != node]
        return others[0] if len(others) == 1 else None
    return None


def _placeholder_verdicts(node: SgNode) -> Iterator[Verdict]:
    zeros = string_value(node)
    if zeros is None or len(zeros) not in _WIDTH.values():
        return
    target = _placeholder_target(node)
    if target is None:
        return
    name = string_value(target) if target.kind() == "string" else target.text().rsplit(".", 1)[-1]
    found = _ID_NAME.search(name or "")
    if found is None:
        return
    kind = found.group(1).lower()
    if len(zeros) != _WIDTH[kind]:
        yield Verdict(
            message=f"a {len(zeros)}-digit zero placeholder for a {kind} id: W3C {kind} ids have "
            f"{_WIDTH[kind]} hex digits",
            fix=with_string_value(node, "0" * _WIDTH[kind]),
        )


@check("OTL103", fixes=True)
def malformed_trace_id(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    if is_test_file(context.path):
        # A test's ids are printed for a person or compared with what a test double wrote
        # (a mock propagator's str(trace_id)): no log line or backend ever searches for them.
        return
    if node.kind() == "call":
        yield from _call_verdicts(node)
    elif node.kind() == "interpolation":
        yield from _interpolation_verdicts(node)
    elif node.kind() == "string":
        yield from _placeholder_verdicts(node)


# --- OTL104: ids copied into each log call ------------------------------------------------------

_ID_KEY = re.compile(r"^(otel)?(trace|span)[_.]?id$", re.IGNORECASE)


@check("OTL104")
def ids_copied_per_log_call(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    """One finding per log call that passes a trace or span id itself."""
    arguments = node.field("arguments")
    if arguments is None:
        return
    for argument in arguments.children():
        if argument.kind() != "keyword_argument":
            continue
        name, value = argument.field("name"), argument.field("value")
        if name is None or value is None:
            continue
        if _ID_KEY.match(name.text()):
            yield Verdict(node=argument)
            return
        if name.text() == "extra" and value.kind() == "dictionary":
            for key in _dict_entries(value):
                if _ID_KEY.match(key):
                    yield Verdict(node=argument)
                    return
