"""The 2xx family: the boundedness judgement over many expressions, and the checks' edges."""

from __future__ import annotations

import pytest
from ast_grep_py import SgNode, SgRoot

from otel_lint.catalogue.model import load_rules
from otel_lint.checks import CheckSettings
from otel_lint.checks.syntax.boundedness import (
    Bound,
    is_built_string,
    judge,
    judge_name,
    loop_constants,
    name_words,
    payload_reason,
)
from otel_lint.checks.syntax.constants import module_constants
from otel_lint.checks.unbounded import dropped_type, sensitive_name
from otel_lint.conventions.registry import Registry
from otel_lint.engine.analysis import analyze_text

RULES = [rule for rule in load_rules() if rule.code.startswith("OTL2")]


def expression(source: str) -> SgNode:
    """The node of ``source`` as the right-hand side of an assignment."""
    root = SgRoot(f"x = {source}\n", "python").root()
    node = root.find(kind="assignment")
    assert node is not None
    right = node.field("right")
    assert right is not None
    return right


def codes(text: str, registry: Registry, settings: CheckSettings | None = None) -> list[str]:
    result = analyze_text("example.py", text, RULES, registry, settings)
    return [finding.code for finding in result.findings]


UNBOUNDED = [
    'f"GET {user_id}"',
    'f"order {order.id}"',
    'f"{name} query"',  # built over a value we cannot see into
    '"a %s" % name',
    '"a %(x)s" % {"x": item}',
    '"x" + str(uuid.uuid4())',
    '"/users/" + user + "/orders"',
    '"{}".format(order.id)',
    '"/".join(parts)',
    "user_id",
    "userId",
    "request_id",
    "trace_id",
    "email",
    "session",
    "client_ip",
    "url",
    "request.path",
    "request.url",
    "query",
    "payload",
    "message",
    "created_at",
    "timestamp",
    "user.name",
    "user_name",
    "full_name",
    "customer.name",
    "str(exc)",
    "uuid.uuid4()",
    "uuid4().hex",
    "time.time()",
    "int(time.time())",
    "datetime.now()",
    "datetime.datetime.utcnow().isoformat()",
    "json.dumps(data)",
    "repr(thing)",
    'row["user_id"]',
    'params.get("email")',
    'user_id or "anonymous"',
    "(request.url)",
    "await fetch_url()",  # unknown calls stay unknown; see below
]


@pytest.mark.parametrize("source", [s for s in UNBOUNDED if not s.startswith("await")])
def test_unbounded_expressions(source: str) -> None:
    judgement = judge(expression(source))
    assert judgement.bound is Bound.UNBOUNDED, judgement
    assert judgement.reason


BOUNDED = [
    '"checkout"',
    'f"checkout"',
    '"shop." "orders"',
    "42",
    "-1",
    "3.5",
    "True",
    "None",
    "HTTP_METHOD",
    "HttpRequestMethodValues.GET.value",
    "Color.RED.name",
    "SpanAttributes.HTTP_METHOD",
    "request.method",
    "response.status_code",
    "status_code",
    "exit_code",
    "self.__class__.__name__",
    "func.__qualname__",
    "type(exc).__name__",
    "__name__",
    "len(items)",
    "bool(items)",
    "attempt > 1",
    "not found",
    'f"{request.method} {route}"',
    '"%s %s" % (METHOD, ROUTE)',
    '"shop." + "orders"',
    "x % 10",
    'params.get("status")',
    "[1, 2]",
    '("a", "b")',
    'KIND if retry else "first"',
    "str(status_code)",
    "request.method.lower()",
    "operation",
    "job_kind",
    "error_type",
    "request.url_rule.rule",
    # Names of kinds of things, as semantic-convention span names use them.
    "task.name",
    "self.name",
    "queue_name",
    'f"{operation} {table}"',
    'f"{self.prefix}.requests"',
]


@pytest.mark.parametrize("source", BOUNDED)
def test_bounded_expressions(source: str) -> None:
    judgement = judge(expression(source))
    assert judgement.bound is Bound.BOUNDED, judgement


UNKNOWN = [
    "name",
    "value",
    "order.total",
    "promo_code",  # a code, but not a status code
    "compute()",
    "await fetch_url()",
    "a if b else c",
    "items[0]",
    "str(order)",
]


@pytest.mark.parametrize("source", UNKNOWN)
def test_unknown_expressions(source: str) -> None:
    assert judge(expression(source)).bound is Bound.UNKNOWN


def test_configured_bounded_names_win() -> None:
    assert judge(expression("customer_segment")).bound is Bound.UNKNOWN
    assert judge(expression("customer_segment"), ["customer_segment"]).bounded
    # The configuration matches a bare name, a dotted name, or the last part of one.
    assert judge(expression("customer.customer_segment"), ["customer_segment"]).bounded
    assert judge(expression('f"{customer_segment}.orders"'), ["customer_segment"]).bounded
    # Even a name that says "id" is bounded when the project says so.
    assert judge(expression("region_id"), ["region_id"]).bounded


def test_unbounded_part_wins_over_bounded_parts() -> None:
    judgement = judge(expression('f"{request.method} {request.path}"'))
    assert judgement.unbounded
    assert "request.path" in judgement.reason


def test_strict_judgement_ignores_what_names_suggest() -> None:
    # For metric names even a bounded-sounding variable is a dimension; constants still pass.
    assert judge(expression("queue_name")).bounded
    assert judge(expression("queue_name"), strict=True).bound is Bound.UNKNOWN
    assert judge(expression("request.method"), strict=True).bound is Bound.UNKNOWN
    assert judge(expression("task.name"), strict=True).bound is Bound.UNKNOWN
    assert judge(expression("PREFIX"), strict=True).bounded
    assert judge(expression("Kind.ORDER.value"), strict=True).bounded
    assert judge(expression("user_id"), strict=True).unbounded


def test_loop_constants_come_from_literal_or_constant_iterables() -> None:
    root = SgRoot(
        'for kind in ("a", "b"):\n'
        "    for queue in QUEUES:\n"
        "        for item in items:\n"
        "            use(kind, queue, item)\n",
        "python",
    ).root()
    call = root.find(pattern="use($$$)")
    assert call is not None
    assert loop_constants(call) == {"kind", "queue"}


@pytest.mark.parametrize(
    ("source", "built"),
    [
        ('f"a {b}"', True),
        ('f"plain"', False),
        ('"a %s" % b', True),
        ("a % b", False),
        ('"a" + b', True),
        ("a + b", False),
        ('"{}".format(b)', True),
        ("template.format(b)", False),
        ('"/".join(parts)', True),
        ('("a" f"{b}")', True),
        ('"plain"', False),
    ],
)
def test_built_strings(source: str, built: bool) -> None:
    assert is_built_string(expression(source)) is built


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("userId", ["user", "id"]),
        ("user.id", ["user", "id"]),
        ("X-Request-Id", ["x", "request", "id"]),
    ],
)
def test_name_words(name: str, words: list[str]) -> None:
    assert name_words(name) == words


@pytest.mark.parametrize(
    ("key", "bound"),
    [
        ("user.id", Bound.UNBOUNDED),
        ("url.full", Bound.UNBOUNDED),
        ("client.address", Bound.UNBOUNDED),
        ("url.path", Bound.UNBOUNDED),
        ("http.request.method", Bound.BOUNDED),
        ("http.response.status_code", Bound.BOUNDED),
        ("http.route", Bound.BOUNDED),
        ("server.address", Bound.UNKNOWN),
        ("id_type", Bound.BOUNDED),
    ],
)
def test_keys_are_judged_by_their_head_word(key: str, bound: Bound) -> None:
    assert judge_name(key).bound is bound


def test_module_constants_are_literals_bound_once_at_top_level() -> None:
    root = SgRoot(
        'PREFIX = "shop"\nprefix = "x"\nprefix = "y"\nNAMES = ("a", "b")\nvalue = compute()\n'
        'def f():\n    local = "z"\n',
        "python",
    ).root()
    assert module_constants(root) == {"PREFIX", "NAMES"}


@pytest.mark.parametrize(
    "source",
    [
        "request.body",
        "response.text",
        "response.json()",
        "await request.body()",
        "request.headers",
        "headers",
        "raw_body",
        "json.dumps(order)",
        "str({'a': b})",
        "repr(order)",
        "str(vars(order))",
        "dict(request.headers)",
        "str(request)",
        'f"{request.headers}"',
    ],
)
def test_payloads(source: str) -> None:
    assert payload_reason(expression(source)) is not None


@pytest.mark.parametrize(
    "source",
    [
        "len(request.body)",
        'request.headers.get("user-agent")',
        "str(order_id)",
        "str(exc)",
        "repr(3)",
        "order.total",
        '"[omitted]"',
    ],
)
def test_not_payloads(source: str) -> None:
    assert payload_reason(expression(source)) is None


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("password", True),
        ("shop.user.password", True),
        ("http.request.header.authorization", True),
        ("http.response.header.set-cookie", True),
        ("api_key", True),
        ("apiKey", True),
        ("card_number", True),
        ("SECRET_KEY", True),
        ("shop.token.type", False),
        ("shop.password.length", False),
        ("gen_ai.usage.input_tokens", False),
        ("shop.api_key.present", False),
        ("monkey", False),
        ("user.id", False),
    ],
)
def test_sensitive_names(name: str, sensitive: bool) -> None:
    assert sensitive_name(name) is sensitive


@pytest.mark.parametrize(
    ("source", "dropped"),
    [
        ("{'a': 1}", "a dict"),
        ("{x for x in y}", "a set"),
        ("set(tags)", "a set"),
        ("None", "None"),
        ("datetime.now()", "a datetime"),
        ("[{'a': 1}]", "a sequence holding a dict"),
        ("[1, 2]", None),
        ("('a', 'b')", None),
        ("value", None),
        ("datetime.now().isoformat()", None),
    ],
)
def test_dropped_types(source: str, dropped: str | None) -> None:
    assert dropped_type(expression(source)) == dropped


# --- the checks through the engine ----------------------------------------------------------------


def test_configured_bounded_names_silence_metric_and_span_findings(registry: Registry) -> None:
    text = (
        'orders_counter.add(1, {"shop.tenant": f"t-{tenant}"})\n'
        'with tracer.start_as_current_span(f"sync {tenant}"):\n'
        "    pass\n"
    )
    assert codes(text, registry) == ["OTL201", "OTL202"]
    assert codes(text, registry, CheckSettings(bounded=("tenant",))) == []


def test_instrument_bound_elsewhere_in_the_file_is_recognised(registry: Registry) -> None:
    text = (
        "class Service:\n"
        "    def __init__(self, meter):\n"
        '        self._calls = meter.create_counter("shop.calls")\n'
        "    def call(self, user_id):\n"
        '        self._calls.add(1, {"user.id": user_id})\n'
    )
    assert codes(text, registry) == ["OTL202"]


def test_generic_add_record_set_are_not_instruments(registry: Registry) -> None:
    text = (
        'cache.set(key, {"user.id": user_id})\n'
        'recorder.record(event, {"user.id": user_id})\n'
        'registry.add(item, {"user.id": user_id})\n'
    )
    assert codes(text, registry) == []


def test_attribute_dicts_are_read_from_the_same_function_only(registry: Registry) -> None:
    text = (
        'attrs = {"user.id": user_id}\n'
        "def a():\n"
        '    attrs = {"http.route": route}\n'
        "    requests_counter.add(1, attrs)\n"
        "def b():\n"
        '    attrs = {"http.route": route}\n'
        '    attrs = {"user.id": user_id}\n'
        "    requests_counter.add(1, attrs)\n"
    )
    findings = analyze_text("example.py", text, RULES, registry).findings
    assert [(f.code, f.line) for f in findings] == [("OTL202", 7)]


def test_a_sensitive_metric_value_is_reported_once(registry: Registry) -> None:
    text = 'requests_counter.add(1, {"shop.api_key": api_key})\n'
    assert codes(text, registry) == ["OTL205"]


def test_a_headers_dict_is_a_payload_not_a_dropped_type(registry: Registry) -> None:
    text = 'span.set_attribute("shop.headers", dict(request.headers))\n'
    assert codes(text, registry) == ["OTL204"]


def test_findings_point_at_the_value(registry: Registry) -> None:
    text = 'requests_counter.add(1, {"http.route": route, "user.id": user.id})\n'
    (finding,) = analyze_text("example.py", text, RULES, registry).findings
    assert text[finding.column - 1 : finding.end_column - 1] == "user.id"
    assert "`user.id`" in finding.message and "time series" in finding.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('span.set_attribute("shop.user", get_user(token).tier)\n', []),
        ('span.set_attribute("shop.user", lookup(token))\n', []),
        ('span.set_attribute("shop.hint", mask(password))\n', []),
        ('span.set_attribute("shop.hint", f"pw={password}")\n', ["OTL205"]),
        ('span.set_attribute("shop.hint", str(user.password).strip())\n', ["OTL205"]),
        ('span.set_attribute("shop.hint", request.headers.get("Cookie"))\n', ["OTL205"]),
        ('span.set_attribute("shop.hint", get_password())\n', ["OTL205"]),
        ('span.set_attribute("shop.tokenizer", tokenizer_name)\n', []),
        ('span.set_attribute("http.request.header.x-api-key", key)\n', ["OTL205"]),
    ],
)
def test_sensitive_values_are_judged_by_what_they_read(
    text: str, expected: list[str], registry: Registry
) -> None:
    assert codes(text, registry) == expected


@pytest.mark.parametrize(
    ("read", "flagged"),
    [
        ('request.query_params.get("team")', True),  # Starlette / FastAPI
        ('request.path_params["team"]', True),
        ('request.form["team"]', True),  # Flask
        ('request.cookies.get("team")', True),
        ('request.META["HTTP_X_TEAM"]', True),  # Django
        ('json.loads(request.body)["team"]', True),
        ('(await request.form())["team"]', True),
        ('int(request.GET.get("page", 1))', True),
        ('request.headers.get("X-Team", "").lower()', True),
        ('self.request.args.get("team")', True),
        ('settings.get("team")', False),  # not the request
        ('TEAMS.get(request.args.get("team"), "other")', False),  # mapped onto a table
        ("request.method", False),  # a bounded part of the request
    ],
)
def test_values_the_client_sends_are_unbounded_through_a_local(
    read: str, flagged: bool, registry: Registry
) -> None:
    text = f"""\
async def view(request):
    team = {read}
    started = time.monotonic()
    requests_counter.add(1, {{"acme.team": team}})
"""
    assert codes(text, registry) == (["OTL202"] if flagged else [])
