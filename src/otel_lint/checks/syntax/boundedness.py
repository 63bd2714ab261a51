"""Whether a Python expression takes a bounded set of values, judged from its syntax alone.

Span names, metric names and metric attribute values must come from a small, fixed set of
values: every distinct value is a new time series or a new span class. This module looks at one
expression node and says whether it is bounded (a literal, a constant, an enum member, an HTTP
method), unbounded (an id, a URL, free text, a timestamp, a string built from variables) or
unknown (a variable we cannot see into), and gives the reason in words a finding can quote.

Nothing here imports or runs the code being judged; identifiers are judged by what they are
called, which is a heuristic by nature. Projects name their own bounded identifiers in the
configuration (``bounded = ["tenant_tier"]``), and those always win.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from ast_grep_py import SgNode

from otel_lint.checks.syntax.calls import call_arguments, call_receiver, callee_name
from otel_lint.checks.syntax.constants import last_name
from otel_lint.checks.syntax.literals import is_literal, string_value
from otel_lint.checks.syntax.spans import unwrap


class Bound(str, Enum):
    """How many distinct values an expression can take, as far as its syntax tells."""

    BOUNDED = "bounded"
    UNBOUNDED = "unbounded"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Judgement:
    """A verdict on one expression and, when it is not unknown, why (for a finding's message)."""

    bound: Bound
    reason: str = ""

    @property
    def bounded(self) -> bool:
        return self.bound is Bound.BOUNDED

    @property
    def unbounded(self) -> bool:
        return self.bound is Bound.UNBOUNDED


UNKNOWN = Judgement(Bound.UNKNOWN)

# --- names -------------------------------------------------------------------------------------

#: Head nouns of identifiers and attribute keys whose values are ids, free text or instants.
#: The last word of a name is its head (``request_id`` is an id, ``id_type`` is a type).
UNBOUNDED_NOUNS: dict[str, str] = {
    **dict.fromkeys(("id", "ids", "uuid", "guid"), "an id"),
    **dict.fromkeys(
        ("email", "user", "username", "session", "ip", "customer", "account", "person"),
        "a person or client",
    ),
    **dict.fromkeys(
        ("url", "uri", "path", "query", "file", "filename", "key"), "a URL, path or key"
    ),
    **dict.fromkeys(("body", "payload", "sql", "statement"), "a payload"),
    **dict.fromkeys(
        ("message", "msg", "text", "description", "content", "comment", "detail", "details"),
        "free text",
    ),
    **dict.fromkeys(("timestamp", "ts", "time", "datetime", "date"), "a timestamp"),
}

#: Head nouns whose values come from a small fixed set (HTTP methods, status codes, kinds).
BOUNDED_NOUNS = frozenset(
    {
        "method",
        "status",
        "kind",
        "type",
        "level",
        "severity",
        "route",
        "rule",
        "template",
        "tier",
        "region",
        "env",
        "environment",
        "operation",
        "outcome",
        "result",
        "scheme",
        "protocol",
        "category",
        "prefix",
        "namespace",
        "table",
        "collection",
        "queue",
        "topic",
        "destination",
        "endpoint",
        "command",
        "action",
        # Kinds of components an application is built from, not per-request values: GenAI span
        # names are "{operation} {model}", agents run tools, runtimes have an implementation.
        "model",
        "tool",
        "agent",
        "vendor",
        "provider",
        "phase",
        "stage",
        "implementation",
    }
)

#: Containers a process works in, set up once and few: their ids do not grow with traffic.
CONTAINER_NOUNS = frozenset({"experiment", "project", "workspace", "environment", "cluster"})

#: Semantic-convention keys that hold unbounded values though their last word does not say so.
UNBOUNDED_KEYS: dict[str, str] = {
    "url.full": "a full URL",
    "url.original": "a full URL",
    "http.url": "a full URL",
    "http.target": "a path and query",
    "client.address": "a client address",
    "network.peer.address": "a peer address",
    "user.name": "a user name",
    "user.full_name": "a user name",
    "exception.message": "free text",
    "exception.stacktrace": "free text",
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_CONSTANT = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
_DUNDER_NAMES = frozenset({"__name__", "__qualname__", "__module__"})
#: Attributes that carry their object's value over unchanged (``user.name``, ``uuid4().hex``).
_SAME_VALUE_ATTRIBUTES = frozenset({"name", "value", "hex", "int", "string"})
#: ``status_code`` and ``exit_code`` come from small sets; ``promo_code`` and ``zip_code`` do not.
_CODE_OWNERS = frozenset({"status", "error", "exit", "return", "response", "http", "grpc", "rpc"})
_PERSONAL_NAME_WORDS = frozenset({"full", "first", "last", "display", "given", "family"})
_ERROR_NAMES = frozenset({"e", "ex", "exc", "err", "error", "exception"})


def name_words(name: str) -> list[str]:
    """The lower-case words of an identifier or key: ``userId`` and ``user.id`` give user, id."""
    return [word for word in re.split(r"[._\-\s]+", _CAMEL.sub("_", name).lower()) if word]


def judge_name(name: str, bounded: Iterable[str] = (), *, strict: bool = False) -> Judgement:
    """What an identifier's or a key's words say about the values it holds.

    With ``strict``, words never make a name bounded; they can still make it unbounded.
    """
    if name in bounded or name.rsplit(".", 1)[-1] in bounded:
        return Judgement(Bound.BOUNDED, f"`{name}` is configured as bounded")
    if name in _DUNDER_NAMES:
        return Judgement(Bound.BOUNDED, f"`{name}` names code, not data")
    if _CONSTANT.match(name):
        return Judgement(Bound.BOUNDED, f"`{name}` is a constant")
    if name in UNBOUNDED_KEYS:
        return Judgement(Bound.UNBOUNDED, f"`{name}` holds {UNBOUNDED_KEYS[name]}")
    words = name_words(name)
    if not words:
        return UNKNOWN
    head = words[-1]
    if head in ("id", "ids") and len(words) > 1 and words[-2] in CONTAINER_NOUNS:
        return UNKNOWN  # one experiment or project per process, not one per request
    if head in UNBOUNDED_NOUNS:
        return Judgement(Bound.UNBOUNDED, f"`{name}` names {UNBOUNDED_NOUNS[head]}")
    if head == "name" and len(words) > 1:
        # ``queue_name`` and ``task_name`` name kinds of things; ``user_name`` names a person.
        if words[-2] in UNBOUNDED_NOUNS or words[-2] in _PERSONAL_NAME_WORDS:
            return Judgement(Bound.UNBOUNDED, f"`{name}` names a person or a file")
        return UNKNOWN if strict else Judgement(Bound.BOUNDED, f"`{name}` names a kind of thing")
    if head == "at" and len(words) > 1:
        return Judgement(Bound.UNBOUNDED, f"`{name}` names a timestamp")
    if strict:
        return UNKNOWN
    if head in BOUNDED_NOUNS or (head == "code" and len(words) > 1 and words[-2] in _CODE_OWNERS):
        return Judgement(Bound.BOUNDED, f"`{name}` names a {head}")
    return UNKNOWN


# --- expressions -------------------------------------------------------------------------------

_LITERAL_KINDS = frozenset({"integer", "float", "true", "false", "none"})
_BOOLEAN_KINDS = frozenset({"comparison_operator", "not_operator"})
_BOUNDED_CALLS = frozenset({"len", "bool", "isinstance", "issubclass", "hasattr", "callable"})
#: Calls whose result differs (nearly) every time: ids, clocks, randomness.
_UNBOUNDED_CALLS: dict[str, str] = {
    **dict.fromkeys(("uuid1", "uuid3", "uuid4", "uuid5", "uuid7", "id", "hash"), "a fresh id"),
    **dict.fromkeys(
        (
            "time",
            "time_ns",
            "monotonic",
            "perf_counter",
            "now",
            "utcnow",
            "today",
            "isoformat",
            "strftime",
        ),
        "a timestamp",
    ),
    **dict.fromkeys(
        ("token_hex", "token_urlsafe", "random", "randint", "urandom"), "a random value"
    ),
    **dict.fromkeys(("dumps", "repr"), "a serialised object"),
}
#: String methods that keep the number of distinct values of their receiver.
_SAME_VALUE_METHODS = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "casefold", "title"}
)


def _combine(judgements: Sequence[Judgement], built: bool, text: str) -> Judgement:
    """One judgement for several parts: unbounded wins; strings built over unknowns are too."""
    for judgement in judgements:
        if judgement.unbounded:
            return judgement
    if all(judgement.bounded for judgement in judgements):
        return Judgement(Bound.BOUNDED, "every part is bounded")
    if built:
        return Judgement(Bound.UNBOUNDED, f"`{text}` builds a string from variables")
    return UNKNOWN


def interpolated(node: SgNode) -> list[SgNode]:
    """The expressions an f-string interpolates (empty for a plain string)."""
    parts = []
    for child in node.children():
        if child.kind() == "interpolation":
            expression = child.field("expression")
            if expression is not None:
                parts.append(expression)
    return parts


def is_built_string(node: SgNode) -> bool:
    """Whether ``node`` builds a string at run time.

    An f-string with a value, ``%`` formatting, ``+`` with a string, ``.format`` or ``join``.
    """
    while node.kind() == "parenthesized_expression":
        inner = [child for child in node.children() if child.is_named()]
        if len(inner) != 1:
            return False
        node = inner[0]
    kind = node.kind()
    if kind == "string":
        return bool(interpolated(node))
    if kind == "concatenated_string":
        return any(is_built_string(child) for child in node.children() if child.kind() == "string")
    if kind == "binary_operator":
        operator = _operator(node)
        left = node.field("left")
        if operator == "%":
            return left is not None and _is_string(left)
        if operator == "+":
            return any(
                _is_string(operand) or is_built_string(operand) for operand in chain_operands(node)
            )
        return False
    if kind == "call":
        function = node.field("function")
        if function is not None and function.kind() == "attribute":
            receiver = function.field("object")
            return (
                callee_name(node) in ("format", "join")
                and receiver is not None
                and _is_string(receiver)
            )
    return False


def _is_string(node: SgNode) -> bool:
    return node.kind() in ("string", "concatenated_string")


# Chains of one operator nest one level per term (``a + b + c`` is ``(a + b) + c``), as deep as
# the chain is long: CPython compiles chains of about 3,000 terms, and ``and``/``or`` chains of any
# length. The helpers below walk such chains with loops, so recursion follows only the brackets
# (at most 200 deep in valid Python).


def _operator(node: SgNode) -> str | None:
    operator = node.field("operator")
    return operator.text() if operator is not None else None


def chain_operands(node: SgNode) -> list[SgNode]:
    """The operands of a chain of one operator, left to right: ``a + b * c + d`` gives a, b * c, d.

    ``node`` itself is the only operand unless it is a binary or boolean operator.
    """
    kind, operator = node.kind(), _operator(node)
    if kind not in ("binary_operator", "boolean_operator"):
        return [node]
    operands: list[SgNode] = []
    pending = [node]
    while pending:
        current = pending.pop()
        left, right = current.field("left"), current.field("right")
        if (
            current.kind() == kind
            and _operator(current) == operator
            and left is not None
            and right is not None
        ):
            pending += [right, left]
        else:
            operands.append(current)
    return operands


def _same_values_as(node: SgNode) -> SgNode | None:
    """The expression ``node`` takes as many values as, when it only wraps one.

    Parentheses, ``await``, a sign, or a method such as ``.strip()`` on a receiver.
    """
    kind = node.kind()
    if kind in ("parenthesized_expression", "await"):
        inner = [child for child in node.children() if child.is_named()]
        return inner[-1] if inner else None  # the last: after any comment
    if kind == "unary_operator":
        return node.field("argument")
    if kind == "call" and callee_name(node) in _SAME_VALUE_METHODS:
        return call_receiver(node)
    return None


def _alternatives(node: SgNode) -> list[SgNode]:
    """The values a conditional expression picks from, along its whole ``else`` chain."""
    values: list[SgNode] = []
    while node.kind() == "conditional_expression":
        parts = [child for child in node.children() if child.is_named()]
        if len(parts) != 3:
            return [*values, *parts]
        values.append(parts[0])  # parts[1], the condition, picks a value; it is not one
        node = parts[2]
    return [*values, node]


def judge(
    node: SgNode | None,
    bounded: Iterable[str] = (),
    *,
    strict: bool = False,
    resolve: Callable[[SgNode], str | None] | None = None,
) -> Judgement:
    """Whether the expression ``node`` is bounded, unbounded or unknown, and why.

    ``bounded`` lists identifiers the project declares bounded (the configuration's ``bounded``);
    they match a bare name, a dotted name or its last part. With ``strict``, a name is bounded
    only as a literal, a constant, an enum member, code identity or a configured name, never
    because its words suggest a small set (``status``, ``queue_name``): for metric names, where
    even a bounded variable is a dimension that belongs in an attribute.
    """
    if node is None:
        return UNKNOWN
    return _judge(node, _Options(frozenset(bounded), strict, resolve))


@dataclass(frozen=True)
class _Options:
    bounded: frozenset[str]
    strict: bool
    #: The string a constant spells (``attributes[GEN_AI_REQUEST_MODEL]``), when the caller knows.
    resolve: Callable[[SgNode], str | None] | None = None


def _judge(node: SgNode, options: _Options) -> Judgement:
    while True:  # a loop, not recursion, through wrappers: ``x.strip().strip()...`` nests deep
        text = node.text()
        if text in options.bounded:
            return Judgement(Bound.BOUNDED, f"`{text}` is configured as bounded")
        inner = _same_values_as(node)
        if inner is None:
            break
        node = inner
    kind = node.kind()
    if kind in ("parenthesized_expression", "await", "unary_operator"):
        return UNKNOWN  # wrapping nothing
    if kind in _LITERAL_KINDS:
        return Judgement(Bound.BOUNDED, "a literal")
    if kind in _BOOLEAN_KINDS:
        return Judgement(Bound.BOUNDED, "a boolean")
    if kind == "string":
        parts = interpolated(node)
        if not parts:
            return Judgement(Bound.BOUNDED, "a literal")
        return _combine([_judge(part, options) for part in parts], True, text)
    if kind == "concatenated_string":
        pieces = [child for child in node.children() if child.kind() == "string"]
        return _combine([_judge(piece, options) for piece in pieces], is_built_string(node), text)
    if kind == "identifier":
        return judge_name(text, options.bounded, strict=options.strict)
    if kind == "attribute":
        return _judge_attribute(node, options)
    if kind in ("conditional_expression", "boolean_operator"):
        branches = _alternatives(node) if kind == "conditional_expression" else chain_operands(node)
        return _combine([_judge(branch, options) for branch in branches], False, text)
    if kind in ("list", "tuple"):
        elements = [child for child in node.children() if child.is_named()]
        return _combine([_judge(element, options) for element in elements], False, text)
    if kind == "binary_operator":
        return _judge_operator(node, options)
    if kind == "subscript":
        return _judge_lookup(node.field("subscript"), options)
    if kind == "call":
        return _judge_call(node, options)
    return UNKNOWN


def _judge_attribute(node: SgNode, options: _Options) -> Judgement:
    attribute, receiver = node.field("attribute"), node.field("object")
    if attribute is None or receiver is None:
        return UNKNOWN
    name = attribute.text()
    if name in options.bounded:
        return Judgement(Bound.BOUNDED, f"`{name}` is configured as bounded")
    # An enum member or a class constant: ``HttpRequestMethodValues.GET.value``, ``Color.RED``.
    if _CONSTANT.match(name) or (
        name in _SAME_VALUE_ATTRIBUTES and _CONSTANT.match(last_name(receiver))
    ):
        return Judgement(Bound.BOUNDED, f"`{node.text()}` is a constant or enum member")
    by_name = judge_name(name, options.bounded, strict=options.strict)
    if by_name.bound is not Bound.UNKNOWN:
        return Judgement(by_name.bound, by_name.reason.replace(f"`{name}`", f"`{node.text()}`", 1))
    if name in _SAME_VALUE_ATTRIBUTES:
        owner = _judge(receiver, options)
        if name == "name" and owner.bound is Bound.UNKNOWN and not options.strict:
            # ``task.name``, ``queue.name``, ``self.name``: the name of a kind of thing, the way
            # the semantic conventions build span names from operation and destination names.
            return Judgement(Bound.BOUNDED, f"`{node.text()}` names a kind of thing")
        return owner
    return UNKNOWN


def _judge_operator(node: SgNode, options: _Options) -> Judgement:
    operator, left, right = node.field("operator"), node.field("left"), node.field("right")
    if operator is None or left is None or right is None:
        return UNKNOWN
    if operator.text() == "%":
        if _is_string(left):
            values = (
                [child for child in right.children() if child.is_named()]
                if right.kind() == "tuple"
                else [right]
            )
            if right.kind() == "dictionary":
                values = [
                    value
                    for pair in right.children()
                    if pair.kind() == "pair" and (value := pair.field("value")) is not None
                ]
            return _combine(
                [_judge(value, options) for value in values if value is not None], True, node.text()
            )
        if right.kind() == "integer":
            return Judgement(Bound.BOUNDED, f"`{node.text()}` takes at most {right.text()} values")
        return UNKNOWN
    operands = chain_operands(node)
    built = operator.text() == "+" and any(_is_string(operand) for operand in operands)
    return _combine([_judge(operand, options) for operand in operands], built, node.text())


def _judge_lookup(key: SgNode | None, options: _Options) -> Judgement:
    """``row["user_id"]`` and ``params.get("user_id")`` are judged by the key they look up."""
    name = string_value(key)
    if name is None and key is not None and options.resolve is not None:
        name = options.resolve(key)
    if name is None:
        return UNKNOWN
    return judge_name(name, strict=options.strict)


def _judge_call(node: SgNode, options: _Options) -> Judgement:
    name = callee_name(node)
    arguments = call_arguments(node)
    if name in _BOUNDED_CALLS:
        return Judgement(Bound.BOUNDED, f"`{name}()` has few values")
    if is_built_string(node):
        values = [
            argument.field("value") if argument.kind() == "keyword_argument" else argument
            for argument in arguments
        ]
        if name == "join" and len(values) == 1:
            return Judgement(Bound.UNBOUNDED, f"`{node.text()}` builds a string from variables")
        return _combine(
            [_judge(value, options) for value in values if value is not None], True, node.text()
        )
    if name in _UNBOUNDED_CALLS:
        return Judgement(Bound.UNBOUNDED, f"`{node.text()}` is {_UNBOUNDED_CALLS[name]}")
    if name == "get" and arguments:
        return _judge_lookup(arguments[0], options)
    if name in ("str", "int", "float") and len(arguments) == 1:
        argument = arguments[0]
        if name == "str" and argument.kind() == "identifier" and argument.text() in _ERROR_NAMES:
            return Judgement(Bound.UNBOUNDED, f"`{node.text()}` is an error message (free text)")
        return _judge(argument, options)
    return UNKNOWN


def loop_constants(node: SgNode, constants: Iterable[str] = ()) -> frozenset[str]:
    """Names that the ``for`` loops around ``node`` take from a literal tuple or list.

    ``for kind in ("orders", "refunds"): ...`` makes ``kind`` one of two values inside the loop;
    a loop over a module constant (``for kind in KINDS``) counts when ``constants`` names it.
    """
    names = set()
    known = frozenset(constants)
    for ancestor in node.ancestors():
        if ancestor.kind() != "for_statement":
            continue
        target, iterable = ancestor.field("left"), ancestor.field("right")
        if target is None or iterable is None or target.kind() != "identifier":
            continue
        over_literals = iterable.kind() in ("tuple", "list") and is_literal(iterable)
        over_constant = iterable.kind() == "identifier" and (
            iterable.text() in known or _CONSTANT.match(iterable.text()) is not None
        )
        if over_literals or over_constant or _small_range(iterable):
            names.add(target.text())
    return frozenset(names)


#: ``range(n)`` with a literal ``n`` up to this many values is a fixed, small set.
_SMALL_RANGE = 100


def _small_range(iterable: SgNode) -> bool:
    """``range(4)`` or ``range(1, 5)``: integer literals, at most ``_SMALL_RANGE`` values."""
    if iterable.kind() != "call":
        return False
    function = iterable.field("function")
    arguments = iterable.field("arguments")
    if function is None or function.text() != "range" or arguments is None:
        return False
    values = [a for a in arguments.children() if a.is_named()]
    if not values or len(values) > 2 or any(v.kind() != "integer" for v in values):
        return False
    numbers = [int(v.text().replace("_", ""), 0) for v in values]
    return (numbers[-1] - (numbers[0] if len(numbers) == 2 else 0)) <= _SMALL_RANGE


# --- payloads ----------------------------------------------------------------------------------

#: Words that name a whole request, response, body or headers mapping.
PAYLOAD_WORDS = frozenset({"body", "payload", "headers", "data", "json", "form", "content"})
_PAYLOAD_OWNERS = frozenset(
    {"request", "req", "response", "resp", "res", "r", "message", "msg", "event"}
)
_PAYLOAD_CALLS = frozenset(
    {"json", "get_json", "get_data", "body", "read", "model_dump_json", "text"}
)
_MAPPING_CALLS = frozenset(
    {"dict", "vars", "locals", "asdict", "model_dump", "to_dict", "dict_items"}
)
_OBJECT_NAMES = frozenset(
    {"self", "request", "req", "response", "resp", "obj", "kwargs", "args", "params"}
)
_SERIALISERS = frozenset({"dumps", "dump"})


#: Last words of a name that holds one small value or a short configured list of names:
#: ``json.dumps(trace_id)`` only quotes an id, ``json.dumps(bootstrap_servers)`` lists a few hosts.
_SCALAR_WORDS = frozenset(
    {"id", "name", "names", "type", "kind", "servers", "hosts", "brokers", "destinations", "nodes"}
)


def _serialises_a_scalar(arguments: list[SgNode]) -> bool:
    """Whether ``dumps``'s one argument is a name for a single value or a short list of names."""
    if len(arguments) != 1 or arguments[0].kind() not in ("identifier", "attribute"):
        return False
    words = name_words(last_name(arguments[0]))
    return bool(words) and words[-1] in _SCALAR_WORDS


def payload_reason(node: SgNode | None) -> str | None:
    """Why ``node`` is a raw payload (a body, a headers mapping, a serialised object), or None."""
    if node is None:
        return None
    kind = node.kind()
    if kind in ("parenthesized_expression", "await"):
        inner = [child for child in node.children() if child.is_named()]
        return payload_reason(inner[-1]) if inner else None
    if kind == "identifier":
        words = name_words(node.text())
        if words and words[-1] in ("body", "payload", "headers"):
            return f"`{node.text()}` is a whole body or headers mapping"
        return None
    if kind == "attribute":
        attribute, receiver = node.field("attribute"), node.field("object")
        if attribute is None or receiver is None:
            return None
        owner = name_words(last_name(receiver))
        if attribute.text() in PAYLOAD_WORDS | {"text"} and owner and owner[-1] in _PAYLOAD_OWNERS:
            return f"`{node.text()}` is a whole body or headers mapping"
        if attribute.text() in ("body", "payload", "headers", "__dict__"):
            return f"`{node.text()}` is a whole body, headers mapping or object"
        return None
    if kind == "string":
        for part in interpolated(node):
            reason = payload_reason(part)
            if reason is not None:
                return reason
        return None
    if kind != "call":
        return None
    name = callee_name(node)
    arguments = call_arguments(node)
    receiver = call_receiver(node)
    if name in _SERIALISERS and not _serialises_a_scalar(arguments):
        return f"`{node.text()}` serialises a whole object"
    if name in _PAYLOAD_CALLS and receiver is not None:
        owner = name_words(last_name(receiver))
        if owner and owner[-1] in _PAYLOAD_OWNERS:
            return f"`{node.text()}` is a whole request or response body"
    if name in ("str", "repr") and len(arguments) == 1:
        argument = arguments[0]
        if argument.kind() in ("dictionary", "set", "list", "dictionary_comprehension"):
            return f"`{node.text()}` is the text of a whole container"
        if argument.kind() == "call" and callee_name(argument) in _MAPPING_CALLS:
            return f"`{node.text()}` is the text of a whole mapping"
        reason = payload_reason(argument)
        if reason is not None:
            return reason
        if argument.kind() == "identifier" and argument.text() in _OBJECT_NAMES:
            return f"`{node.text()}` is the text of a whole object"
        if name == "repr" and argument.kind() not in ("string", "integer", "float"):
            return f"`{node.text()}` is an object's representation"
        return None
    if name in _MAPPING_CALLS and arguments:
        return payload_reason(arguments[0])
    return None


# --- values a client sends -----------------------------------------------------------------------

#: The parts of a web request that hold what the client sent (Flask, Django, Starlette/FastAPI).
_REQUEST_PARTS: dict[str, str] = {
    **dict.fromkeys(("args", "GET", "query_params", "query"), "a query parameter"),
    **dict.fromkeys(("form", "POST", "values", "files", "FILES"), "a form field"),
    **dict.fromkeys(("path_params", "view_args", "match_info"), "a path parameter"),
    **dict.fromkeys(("headers", "META"), "a header"),
    **dict.fromkeys(("cookies", "COOKIES"), "a cookie"),
    **dict.fromkeys(("json", "data"), "a JSON body field"),
}
#: Calls on the request that return its parsed body (``request.get_json()``, ``await
#: request.json()``, ``await request.form()``).
_REQUEST_BODY_CALLS: dict[str, str] = {
    "get_json": "a JSON body field",
    "json": "a JSON body field",
    "form": "a form field",
}
_REQUEST_NAMES = frozenset({"request", "req"})
#: Calls that keep a value as unbounded as it was (``int(page)`` is still any page).
_KEEPING_CALLS = frozenset({"str", "int", "float", "strip", "lower", "upper", "casefold", "title"})
_LOOKUP_CALLS = frozenset({"get", "getlist", "getone"})


def _is_request(node: SgNode | None) -> bool:
    """``request``, ``req``, ``self.request``: the web framework's request object."""
    node = unwrap(node)
    return node is not None and last_name(node) in _REQUEST_NAMES


def _request_mapping(node: SgNode | None) -> str | None:
    """What a mapping read from the request holds: ``request.args`` is query parameters."""
    node = unwrap(node)
    if node is None:
        return None
    if node.kind() == "attribute":
        part, owner = node.field("attribute"), node.field("object")
        if part is not None and part.text() in _REQUEST_PARTS and _is_request(owner):
            return _REQUEST_PARTS[part.text()]
        return None
    if node.kind() == "call":
        name = callee_name(node)
        if name in _REQUEST_BODY_CALLS and _is_request(call_receiver(node)):
            return _REQUEST_BODY_CALLS[name]
        arguments = call_arguments(node)
        if name == "loads" and len(arguments) == 1:  # json.loads(request.body)
            body = unwrap(arguments[0])
            if body is not None and body.kind() == "attribute":
                return "a JSON body field" if _is_request(body.field("object")) else None
    return None


def request_value_reason(node: SgNode | None) -> str | None:
    """Why ``node`` is a value the client chose, read from the request, or None.

    ``request.args.get("player")``, ``request.GET["q"]``, ``request.headers["X-Tenant"]``,
    ``(await request.json())["sku"]``, also through ``str()`` / ``int()`` / ``.lower()``: as many
    values as clients care to send.
    """
    node = unwrap(node)
    while node is not None and node.kind() == "call" and callee_name(node) in _KEEPING_CALLS:
        arguments = call_arguments(node)
        if callee_name(node) in ("str", "int", "float"):
            node = unwrap(arguments[0]) if len(arguments) == 1 else None
        else:
            node = unwrap(call_receiver(node))
    if node is None:
        return None
    if node.kind() == "subscript":
        source = _request_mapping(node.field("value"))
    elif node.kind() == "call" and callee_name(node) in _LOOKUP_CALLS:
        source = _request_mapping(call_receiver(node))
    else:
        source = None
    if source is None:
        return None
    return f"`{' '.join(node.text().split())}` is {source}, chosen by the client"


#: Decorator methods that register a web route: Flask's ``route``, FastAPI's ``get``/``post``...
_ROUTE_DECORATORS = frozenset(
    {"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route", "websocket"}
)
#: FastAPI's markers of where a parameter's value comes from.
_PARAMETER_SOURCES: dict[str, str] = {
    "Query": "a query parameter",
    "Path": "a path parameter",
    "Header": "a header",
    "Cookie": "a cookie",
    "Form": "a form field",
    "Body": "a JSON body field",
}
#: Annotations that let any value through (an enum or a ``Literal`` is validated to a fixed set).
_OPEN_ANNOTATIONS = frozenset(
    {"str", "int", "float", "UUID", "uuid.UUID"}
    | {f"Optional[{t}]" for t in ("str", "int")}
    | {f"{t}|None" for t in ("str", "int")}
)


def _parameter(function: SgNode, name: str) -> SgNode | None:
    parameters = function.field("parameters")
    for parameter in parameters.children() if parameters is not None else []:
        named = [child for child in parameter.children() if child.is_named()]
        own = parameter if parameter.kind() == "identifier" else (named[0] if named else None)
        if own is not None and own.kind() == "identifier" and own.text() == name:
            return parameter
    return None


def _route_templates(function: SgNode) -> list[str]:
    """The path templates of the route decorators on ``function`` (``"/players/{player}"``)."""
    parent = function.parent()
    if parent is None or parent.kind() != "decorated_definition":
        return []
    templates = []
    for decorator in parent.children():
        call = next((c for c in decorator.children() if c.kind() == "call"), None)
        if decorator.kind() != "decorator" or call is None:
            continue
        if callee_name(call) in _ROUTE_DECORATORS and call_receiver(call) is not None:
            arguments = call_arguments(call)
            template = string_value(arguments[0]) if arguments else None
            if template is not None:
                templates.append(template)
    return templates


def route_parameter_reason(name: SgNode) -> str | None:
    """Why a parameter of a route handler holds what the client sent, or None.

    ``@app.get("/players/{player}") def get(player: str)`` (FastAPI, Starlette-style templates) or
    ``@app.route("/players/<player>")`` (Flask): a path parameter; ``q: str = Query(None)``,
    ``Header()``, ``Cookie()``, ``Form()``, ``Body()``: FastAPI's sources. A parameter annotated
    with an enum or a ``Literal`` is validated onto a fixed set, and is not one.
    """
    function = next((a for a in name.ancestors() if a.kind() == "function_definition"), None)
    parameter = _parameter(function, name.text()) if function is not None else None
    if function is None or parameter is None:
        return None
    templates = _route_templates(function)
    if not templates:
        return None
    annotation = parameter.field("type")
    if annotation is not None and "".join(annotation.text().split()) not in _OPEN_ANNOTATIONS:
        return None
    default = parameter.field("value")
    if default is not None and default.kind() == "call":
        source = _PARAMETER_SOURCES.get(callee_name(default))
        if source is not None:
            return f"`{name.text()}` is {source}, chosen by the client"
    text = name.text()
    path = re.compile(r"\{" + re.escape(text) + r"(?::\w+)?\}|<(?:\w+:)?" + re.escape(text) + ">")
    if any(path.search(template) for template in templates):
        return f"`{text}` is a path parameter, chosen by the client"
    return None
