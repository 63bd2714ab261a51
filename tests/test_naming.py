"""The pure name and unit checks shared by the linter and the plugin."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_lint.conventions.naming import (
    IssueKind,
    check_attribute_key,
    check_metric_definition,
    check_metric_name,
    check_unit,
    is_reserved,
    is_ucum,
    is_well_formed,
    near_miss,
    well_formed_suggestion,
)
from otel_lint.conventions.registry import Registry


@pytest.mark.parametrize(
    "name", ["http.request.method", "a", "user.id", "acme.cart.item_count", "k8s.pod.uid"]
)
def test_well_formed(name: str) -> None:
    assert is_well_formed(name)


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("httpMethod", "http_method"),
        ("User.ID", "user.id"),
        ("my-key", "my_key"),
        ("a..b", "a.b"),
        ("trailing.", "trailing"),
        (".leading", "leading"),
        ("with space", "with_space"),
        ("double__under", "double_under"),
        ("1abc", "abc"),
    ],
)
def test_malformed_with_suggestion(name: str, suggestion: str) -> None:
    assert not is_well_formed(name)
    assert well_formed_suggestion(name) == suggestion


def test_reserved() -> None:
    assert is_reserved("otel.scope.name") and is_reserved("otel")
    assert not is_reserved("otelcol.x") and not is_reserved("hotel.room")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("http.response.status", "http.response.status_code"),
        ("http.statuscode", "http.response.status_code"),
        ("httpMethod", "http.request.method"),
        ("user_id", "user.id"),
        ("User.Id", "user.id"),
    ],
)
def test_near_miss(registry: Registry, name: str, expected: str) -> None:
    assert near_miss(name, registry) == expected


@pytest.mark.parametrize(
    "name",
    [
        "http.status_code",  # deprecated, not a near miss
        "http.request.method",  # known
        "acme.user_id",  # not in a semconv namespace
        "order_total",
        "status",
        "http.route_name",
    ],
)
def test_not_a_near_miss(registry: Registry, name: str) -> None:
    assert near_miss(name, registry) is None


def kinds(issues: list) -> list[IssueKind]:  # type: ignore[type-arg]
    return [issue.kind for issue in issues]


def test_attribute_checks(registry: Registry) -> None:
    assert check_attribute_key("http.request.method", registry) == []
    deprecated = check_attribute_key("http.status_code", registry)
    assert kinds(deprecated) == [IssueKind.DEPRECATED]
    assert deprecated[0].suggestion == "http.response.status_code"
    assert kinds(check_attribute_key("otel.mine", registry)) == [IssueKind.RESERVED]
    custom = check_attribute_key("http.my_flag", registry, own_namespaces=["acme.*"])
    assert kinds(custom) == [IssueKind.CUSTOM_IN_SEMCONV_NAMESPACE]
    assert "`acme.`" in custom[0].message
    assert check_attribute_key("acme.http.flag", registry, own_namespaces=["acme"]) == []
    assert check_attribute_key("http.request.header.x_tenant", registry) == []
    assert kinds(check_attribute_key("userId", registry)) == [
        IssueKind.MALFORMED,
        IssueKind.NEAR_MISS,
    ]


def test_free_text_deprecation_message_carries_the_note(registry: Registry) -> None:
    (issue,) = check_attribute_key("net.peer.name", registry)
    assert issue.suggestion is None
    assert "server.address" in issue.message


@pytest.mark.parametrize(
    ("name", "kind", "suggestion"),
    [
        ("http_requests_total", IssueKind.METRIC_TOTAL_SUFFIX, "http_requests"),
        ("app.requests.total", IssueKind.METRIC_TOTAL_SUFFIX, "app.requests"),
        ("request_duration_ms", IssueKind.METRIC_UNIT_IN_NAME, "request_duration"),
        ("queue.size.bytes", IssueKind.METRIC_UNIT_IN_NAME, "queue.size"),
        ("job.latency_seconds", IssueKind.METRIC_UNIT_IN_NAME, "job.latency"),
        ("requestCount", IssueKind.MALFORMED, "request_count"),
        ("http.request.method", IssueKind.METRIC_EQUALS_ATTRIBUTE, None),
    ],
)
def test_metric_name_problems(
    registry: Registry, name: str, kind: IssueKind, suggestion: str | None
) -> None:
    issues = check_metric_name(name, registry)
    assert kind in kinds(issues)
    assert next(i for i in issues if i.kind == kind).suggestion == suggestion


@pytest.mark.parametrize(
    "name",
    [
        "orders.processed",
        "http.server.request.duration",
        "cart.total_items",
        "db.client.operation.duration",
        "acme.queue.size",
    ],
)
def test_good_metric_names(registry: Registry, name: str) -> None:
    assert check_metric_name(name, registry) == []


def test_deprecated_metric(registry: Registry) -> None:
    (issue,) = check_metric_name("container.memory.paging.faults", registry)
    assert issue.kind is IssueKind.METRIC_DEPRECATED
    assert issue.suggestion == "container.paging.faults"


def test_metric_definition(registry: Registry) -> None:
    issues = check_metric_definition("http.server.request.duration", "counter", "ms", registry)
    assert kinds(issues) == [IssueKind.METRIC_WRONG_INSTRUMENT, IssueKind.METRIC_WRONG_UNIT]
    assert check_metric_definition("http.server.request.duration", "histogram", "s", registry) == []
    assert check_metric_definition("acme.custom", "counter", "ms", registry) == []


@pytest.mark.parametrize(
    ("unit", "kind", "suggestion"),
    [
        ("milliseconds", IssueKind.UNIT_NOT_UCUM, "s"),
        ("seconds", IssueKind.UNIT_NOT_UCUM, "s"),
        ("bytes", IssueKind.UNIT_NOT_UCUM, "By"),
        ("requests", IssueKind.UNIT_NOT_UCUM, "{request}"),
        ("ms", IssueKind.UNIT_DURATION_NOT_SECONDS, "s"),
        ("{requests}", IssueKind.UNIT_PLURAL_ANNOTATION, "{request}"),
        ("{entries}", IssueKind.UNIT_PLURAL_ANNOTATION, "{entry}"),
        ("", IssueKind.UNIT_MISSING, None),
        (None, IssueKind.UNIT_MISSING, None),
    ],
)
def test_unit_problems(unit: str | None, kind: IssueKind, suggestion: str | None) -> None:
    (issue,) = check_unit(unit)
    assert issue.kind is kind
    assert issue.suggestion == suggestion


@pytest.mark.parametrize(
    "unit",
    [
        "s",
        "By",
        "1",
        "%",
        "{request}",
        "By/s",
        "kBy",
        "MiBy",
        "Cel",
        "{status}",
        "{process}",
        "m/s2",
        "{packet}/s",
    ],
)
def test_good_units(unit: str) -> None:
    assert is_ucum(unit)
    assert check_unit(unit) == []


def test_semconv_metric_keeps_its_own_unit(registry: Registry) -> None:
    # rpc.server.duration is defined in ms, hw.fan.speed in rpm: the definition wins.
    assert check_unit("ms", registry, "rpc.server.duration") == []
    assert check_unit("rpm", registry, "hw.fan.speed") == []


# --- properties ------------------------------------------------------------------------------


def test_every_registry_name_is_well_formed(registry: Registry) -> None:
    malformed = [k for k in [*registry.attributes, *registry.metrics] if not is_well_formed(k)]
    assert malformed == []


def test_every_single_replacement_is_current(registry: Registry) -> None:
    problems = []
    for table in (registry.attributes, registry.metrics):
        for name, entry in table.items():
            replacement = entry.deprecated.replacement if entry.deprecated else None
            if replacement is None:
                continue
            target = table.get(replacement)
            if target is None and table is registry.attributes:
                target = registry.template_for(replacement)
            if target is None or target.deprecated is not None:
                problems.append((name, replacement))
    assert problems == []


def test_every_current_semconv_attribute_passes(registry: Registry) -> None:
    flagged = {
        k: check_attribute_key(k, registry)
        for k, a in registry.attributes.items()
        if a.deprecated is None
    }
    assert {k: v for k, v in flagged.items() if v} == {}


def test_semconv_annotation_units_are_not_called_plural(registry: Registry) -> None:
    flagged = [
        (m.name, m.unit)
        for m in registry.metrics.values()
        if m.unit and m.unit.startswith("{") and check_unit(m.unit)
    ]
    assert flagged == []


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_naming_functions_never_raise(text: str) -> None:
    from otel_lint.conventions.registry import load_registry

    registry = load_registry()
    assert isinstance(check_attribute_key(text, registry, ["acme"]), list)
    assert isinstance(check_metric_name(text, registry), list)
    assert isinstance(check_unit(text, registry, text), list)
    suggestion = well_formed_suggestion(text)
    assert suggestion is None or is_well_formed(suggestion)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"\A[a-z][a-z0-9]{0,8}(\.[a-z][a-z0-9_]{0,8}[a-z0-9]){0,3}\Z"))
def test_generated_well_formed_names_have_no_malformed_issue(name: str) -> None:
    from otel_lint.conventions.registry import load_registry

    if "__" in name:
        return
    issues = check_attribute_key(name, load_registry())
    assert IssueKind.MALFORMED not in kinds(issues)


def test_near_miss_of_a_deprecated_key_without_single_replacement(registry: Registry) -> None:
    (issue,) = check_attribute_key("net.peername", registry)
    assert issue.kind is IssueKind.NEAR_MISS
    assert issue.suggestion is None
    assert "net.peer.name" in issue.message and "server.address" in issue.message


@pytest.mark.parametrize("unit", ["{series}", "{species}", "{alias}"])
def test_singular_words_ending_in_s_are_not_plural(unit: str) -> None:
    assert check_unit(unit) == []


@pytest.mark.parametrize("name", ["cache.hit_ratio", "acme.region.us"])
def test_words_that_are_not_units_in_metric_names(registry: Registry, name: str) -> None:
    assert check_metric_name(name, registry) == []
