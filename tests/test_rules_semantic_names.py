"""The 3xx rules beyond their YAML examples: configured namespaces, the split of one name's
issues between codes, constants resolved through imports, and the create_* argument binding."""

from __future__ import annotations

from pathlib import Path

import pytest
from ast_grep_py import SgRoot
from project_lint import lint_project, write_project

from otel_lint.catalogue.model import load_rules
from otel_lint.checks import CheckSettings
from otel_lint.checks.semantic_names import INSTRUMENT_KINDS, instrument_call
from otel_lint.conventions.registry import Registry
from otel_lint.engine.analysis import analyze_text
from otel_lint.findings import Finding

RULES = tuple(rule for rule in load_rules() if rule.code.startswith("OTL3"))


def lint(text: str, registry: Registry, namespaces: tuple[str, ...] = ()) -> list[Finding]:
    settings = CheckSettings(namespaces=namespaces)
    return list(analyze_text("example.py", text, RULES, registry, settings).findings)


def codes(findings: list[Finding]) -> list[str]:
    return sorted(f.code for f in findings)


# --- attribute keys ----------------------------------------------------------------------------


def test_a_key_with_two_problems_gets_both_codes_once(registry: Registry) -> None:
    findings = lint('span.set_attribute("HTTP.METHOD", m)\n', registry)
    assert codes(findings) == ["OTL302", "OTL303"]
    near = next(f for f in findings if f.code == "OTL303")
    assert "http.request.method" in near.message


def test_custom_key_points_to_the_configured_namespace(registry: Registry) -> None:
    (finding,) = lint('span.set_attribute("http.my_flag", True)\n', registry, ("acme.*",))
    assert finding.code == "OTL304"
    assert "`acme.`" in finding.message


def test_own_namespace_keys_are_never_near_misses(registry: Registry) -> None:
    text = 'span.set_attribute("acme.user_id", u)\nspan.set_attribute("acme.http.flag", f)\n'
    assert lint(text, registry, ("acme",)) == []


def test_reserved_namespace_is_reported_once(registry: Registry) -> None:
    assert codes(lint('span.set_attribute("otel.team", "payments")\n', registry)) == ["OTL304"]


def test_only_the_string_form_is_fixed(registry: Registry) -> None:
    text = (
        "from opentelemetry.semconv._incubating.attributes.http_attributes import HTTP_METHOD\n"
        'span.set_attribute(HTTP_METHOD, "GET")\n'
        'span.set_attribute("http.method", "GET")\n'
    )
    findings = lint(text, registry)
    assert codes(findings) == ["OTL301", "OTL301"]
    by_line = {f.line: f for f in findings}
    assert by_line[2].fix is None
    assert "HTTP_REQUEST_METHOD" in by_line[2].message
    assert by_line[3].fix is not None and by_line[3].fix.content == '"http.request.method"'


@pytest.mark.parametrize(
    "text",
    [
        "from opentelemetry.semconv._incubating.attributes.http_attributes import (\n"
        "    HTTP_METHOD as M,\n)\nattrs = {M: 'GET'}\n",
        "from opentelemetry.semconv._incubating.attributes import http_attributes as h\n"
        "x = h.HTTP_METHOD\n",
        "import opentelemetry.semconv._incubating.attributes.http_attributes\n"
        "x = opentelemetry.semconv._incubating.attributes.http_attributes.HTTP_METHOD\n",
    ],
)
def test_deprecated_constants_through_every_import_form(registry: Registry, text: str) -> None:
    assert codes(lint(text, registry)) == ["OTL301"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The class import is OTL309's; a deprecated key through the class is still OTL301: moving
        # to the `_incubating` constant of the same name keeps the key deprecated.
        (
            "from opentelemetry.semconv.trace import SpanAttributes\n"
            "span.set_attribute(SpanAttributes.HTTP_METHOD, 'GET')\n",
            ["OTL301", "OTL309"],
        ),
        (
            "from opentelemetry.semconv.resource import ResourceAttributes as RA\n"
            "span.set_attributes({RA.DEPLOYMENT_ENVIRONMENT: 'prod'})\n",
            ["OTL301", "OTL309"],
        ),
        # A current key through the class: the import only.
        (
            "from opentelemetry.semconv.trace import SpanAttributes\n"
            "span.set_attribute(SpanAttributes.HTTP_ROUTE, '/orders')\n",
            ["OTL309"],
        ),
    ],
)
def test_deprecated_keys_through_the_deprecated_classes(
    registry: Registry, text: str, expected: list[str]
) -> None:
    assert sorted(codes(lint(text, registry))) == expected


@pytest.mark.parametrize(
    "text",
    [
        # A local binding of the same name is not a reference to the package's constant.
        "HTTP_METHOD = 'acme.method'\nspan.set_attribute(HTTP_METHOD, 'GET')\n",
        # The constant named on the left of an import is not a use.
        "from opentelemetry.semconv._incubating.attributes.http_attributes import HTTP_METHOD\n",
    ],
)
def test_constants_that_are_not_ours_to_judge(registry: Registry, text: str) -> None:
    assert "OTL301" not in codes(lint(text, registry))


# --- metric instruments ------------------------------------------------------------------------


def _call(text: str) -> tuple[str | None, str | None, bool]:
    node = SgRoot(text, "python").root().find(kind="call")
    assert node is not None
    call = instrument_call(node)
    assert call is not None
    name = call.name.text() if call.name is not None else None
    unit = call.unit.text() if call.unit is not None else None
    return name, unit, call.complete


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('meter.create_counter("a", "1", "d")', ('"a"', '"1"', True)),
        ('meter.create_histogram(name="a", unit="s")', ('"a"', '"s"', True)),
        ('meter.create_observable_gauge("a", [cb], "By")', ('"a"', '"By"', True)),
        ('meter.create_observable_counter("a", [cb])', ('"a"', None, True)),
        ('meter.create_histogram("a", **options)', ('"a"', None, False)),
        ("meter.create_gauge(*args)", (None, None, False)),
    ],
)
def test_instrument_arguments_bind_like_the_api(
    text: str, expected: tuple[str | None, str | None, bool]
) -> None:
    assert _call(text) == expected


def test_every_create_method_of_the_api_is_known() -> None:
    from opentelemetry.metrics import Meter

    methods = {name for name in dir(Meter) if name.startswith("create_")}
    assert methods == set(INSTRUMENT_KINDS)


def test_a_wrong_unit_on_a_convention_metric_is_reported_once(registry: Registry) -> None:
    text = 'meter.create_histogram("http.server.request.duration", unit="ms")\n'
    assert codes(lint(text, registry)) == ["OTL307"]


def test_an_empty_unit_on_a_convention_metric_is_a_missing_unit(registry: Registry) -> None:
    (finding,) = lint('meter.create_histogram("http.server.request.duration", unit="")\n', registry)
    assert finding.code == "OTL306"
    assert '"s"' in finding.message


def test_missing_unit_only_where_it_leaves_readers_guessing(registry: Registry) -> None:
    text = (
        'meter.create_counter("acme.retries")\n'
        'meter.create_up_down_counter("acme.jobs.active")\n'
        'meter.create_histogram("acme.job.duration")\n'
        'meter.create_gauge("acme.queue.depth")\n'
    )
    assert [(f.code, f.line) for f in lint(text, registry)] == [("OTL306", 3), ("OTL306", 4)]


def test_ms_under_an_unreadable_name_is_not_a_duration_warning(registry: Registry) -> None:
    # The old MetricInstruments constants name convention metrics that were defined in ms.
    text = 'meter.create_histogram(name=MetricInstruments.HTTP_SERVER_DURATION, unit="ms")\n'
    assert lint(text, registry) == []
    # A unit that is not UCUM is wrong whatever the name; the message names it as written.
    (finding,) = lint('meter.create_histogram(names.LATENCY, unit="millis")\n', registry)
    assert finding.code == "OTL306" and "names.LATENCY" in finding.message


def test_old_class_constants_stand_for_the_metric_of_their_name(registry: Registry) -> None:
    # MetricInstruments.HTTP_SERVER_ACTIVE_REQUESTS is "http.server.active_requests", the metric
    # the registry's constant of that name is: its unit is "{request}". The import is OTL309's.
    text = (
        "from opentelemetry.semconv.metrics import MetricInstruments\n"
        'meter.create_up_down_counter(MetricInstruments.HTTP_SERVER_ACTIVE_REQUESTS, unit="{x}")\n'
    )
    assert sorted(codes(lint(text, registry))) == ["OTL307", "OTL309"]
    fixed = text.replace('"{x}"', '"{request}"')
    assert codes(lint(fixed, registry)) == ["OTL309"]


def test_a_malformed_metric_name_with_a_suffix_is_one_finding(registry: Registry) -> None:
    (finding,) = lint('meter.create_counter("cacheHitsTotal", unit="{hit}")\n', registry)
    assert finding.code == "OTL305"
    assert "cache_hits" in finding.message and "total" in finding.message


def test_contrib_style_code_is_clean(registry: Registry) -> None:
    text = (
        "from opentelemetry.semconv.attributes.http_attributes import (\n"
        "    HTTP_REQUEST_METHOD,\n"
        "    HTTP_RESPONSE_STATUS_CODE,\n"
        ")\n"
        "from opentelemetry.semconv.metrics.http_metrics import HTTP_SERVER_REQUEST_DURATION\n"
        "\n"
        "duration = meter.create_histogram(\n"
        '    name=HTTP_SERVER_REQUEST_DURATION, unit="s", description="Duration."\n'
        ")\n"
        "span.set_attribute(HTTP_REQUEST_METHOD, method)\n"
        "duration.record(elapsed, {HTTP_RESPONSE_STATUS_CODE: 200, 'http.route': route})\n"
    )
    assert lint(text, registry) == []


def test_keys_held_in_another_module_are_judged_like_literals(tmp_path: Path) -> None:
    """A service keeps its keys in a constants module (module constants, a class) and imports
    them; the SDK's own ``DEPLOYMENT_ENVIRONMENT`` is both deprecated and a resource attribute."""
    write_project(
        tmp_path,
        {
            "src/shop/__init__.py": "",
            "src/shop/telemetry/__init__.py": "",
            "src/shop/telemetry/keys.py": """\
                DB_STATEMENT = "db.statement"
                ORDER_ID = "shop.order.id"


                class Attrs:
                    HTTP_METHOD = "http.method"
                    POOL = "db.client.connections.usage"
            """,
            "src/shop/orders.py": """\
                from opentelemetry import metrics, trace
                from opentelemetry.sdk.resources import DEPLOYMENT_ENVIRONMENT

                from shop.telemetry import keys
                from shop.telemetry.keys import ORDER_ID, Attrs

                tracer = trace.get_tracer(__name__)
                meter = metrics.get_meter(__name__)
                pool = meter.create_up_down_counter(Attrs.POOL, unit="{connection}")


                def place(order, sql, env):
                    with tracer.start_as_current_span(
                        "place order", attributes={ORDER_ID: order.id, keys.DB_STATEMENT: sql}
                    ) as span:
                        span.set_attribute(DEPLOYMENT_ENVIRONMENT, env)
                        span.set_attributes({Attrs.HTTP_METHOD: "POST"})
            """,
        },
    )
    found = [(f.path, f.line, f.code) for f in lint_project(tmp_path, "OTL3", "src/shop/orders.py")]
    assert found == [
        ("src/shop/orders.py", 9, "OTL308"),
        ("src/shop/orders.py", 14, "OTL301"),
        ("src/shop/orders.py", 16, "OTL301"),
        ("src/shop/orders.py", 17, "OTL301"),
    ]
    on_span = lint_project(tmp_path, "OTL502", "src/shop/orders.py")
    assert [(f.line, "`deployment.environment`" in f.message) for f in on_span] == [(16, True)]
