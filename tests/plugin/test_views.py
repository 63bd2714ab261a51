"""The `telemetry` views and assertions, used directly: our own tests live in what we ship."""

from __future__ import annotations

import re
import threading

import pytest
from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from otel_testing.telemetry import Telemetry
from otel_testing.views.matching import ANY

tracer = trace.get_tracer(__name__)
meter = metrics.get_meter(__name__)


def checkout() -> None:
    with tracer.start_as_current_span("POST /checkout", kind=SpanKind.SERVER) as root:
        root.set_attribute("http.request.method", "POST")
        with tracer.start_as_current_span("reserve stock") as reserve:
            reserve.set_attribute("shop.item.count", 3)
            reserve.add_event("reserved", {"shop.item.count": 3})
        with tracer.start_as_current_span("charge card", kind=SpanKind.CLIENT) as charge:
            try:
                raise ValueError("card declined")
            except ValueError as error:
                charge.record_exception(error)
                charge.set_status(Status(StatusCode.ERROR, "declined"))


def test_span_queries(telemetry: Telemetry) -> None:
    checkout()
    spans = telemetry.spans
    assert spans.names == ["POST /checkout", "reserve stock", "charge card"]
    assert len(spans) == 3 and spans[0].name == "POST /checkout"
    assert spans.filter(kind=SpanKind.CLIENT).names == ["charge card"]
    assert spans.filter(kind="server").names == ["POST /checkout"]
    assert spans.filter(name=re.compile(r".* (stock|card)")).names == [
        "reserve stock",
        "charge card",
    ]
    assert spans.filter(attributes={"shop.item.count": lambda n: n > 2}).names == ["reserve stock"]
    assert spans.filter(attributes={"http.request.method": ANY}).names == ["POST /checkout"]
    assert spans.filter(status="error").names == ["charge card"]
    root = spans.one(name="POST /checkout")
    assert spans.roots.names == ["POST /checkout"]
    assert root.children.names == ["reserve stock", "charge card"]
    assert spans.one(name="charge card").parent is not None
    assert len(spans.traces) == 1 and spans.traces[0].names == spans.names
    assert root.duration >= 0 and len(root.trace_id) == 32 and len(root.span_id) == 16
    assert spans.one(name="charge card").exception is not None
    assert spans.one(name="reserve stock").exception is None


def test_assert_has_passes_and_fails_with_a_diff(telemetry: Telemetry) -> None:
    checkout()
    charge = telemetry.spans.one(name="charge card")
    charge.assert_has(
        kind=SpanKind.CLIENT,
        status=StatusCode.ERROR,
        parent="POST /checkout",
        events=["exception"],
        exception=ValueError,
    )
    telemetry.spans.one(name="reserve stock").assert_has(
        attributes={"shop.item.count": 3}, events=["reserved"], exception=None
    )
    with pytest.raises(AssertionError) as failure:
        telemetry.spans.one(name="reserve stock").assert_has(
            attributes={"shop.item.count": 4, "shop.id": "x"}, parent=None
        )
    message = str(failure.value)
    assert "~ shop.item.count: expected 4, got 3" in message
    assert "- shop.id: expected 'x', missing" in message
    assert "parent: expected a root span, got child of 'POST /checkout'" in message


def test_one_lists_what_was_captured_closest_first(telemetry: Telemetry) -> None:
    checkout()
    with pytest.raises(AssertionError) as failure:
        telemetry.spans.one(name="charge cards")
    lines = str(failure.value).splitlines()
    assert lines[0] == "no span matches name='charge cards'; captured, closest first:"
    assert lines[1].startswith("  'charge card'")
    with pytest.raises(AssertionError, match="expected exactly one span matching any, found 3"):
        telemetry.spans.one()


def test_tree_and_assert_tree(telemetry: Telemetry) -> None:
    checkout()
    assert telemetry.spans.tree() == "POST /checkout\n  reserve stock\n  charge card"
    telemetry.spans.assert_tree(
        """
        POST /checkout
            reserve stock
            charge card
        """
    )
    with pytest.raises(AssertionError) as failure:
        telemetry.spans.assert_tree("POST /checkout\n  charge card")
    assert "captured:\n  POST /checkout\n    reserve stock" in str(failure.value)
    assert "+  reserve stock" in str(failure.value)


def test_wait_for_spans_ended_on_another_thread(telemetry: Telemetry) -> None:
    request = tracer.start_span("request")
    parent_context = trace.set_span_in_context(request)

    def background() -> None:
        with tracer.start_as_current_span("late", context=parent_context):
            pass

    worker = threading.Timer(0.05, background)
    worker.start()
    spans = telemetry.spans.wait_for(predicate=lambda s: "late" in s.names, timeout=5)
    worker.join()
    assert spans.one(name="late").parent_span_id is not None
    request.end()
    with pytest.raises(AssertionError, match=r"waited 0.05s for 5 span\(s\); captured 2"):
        telemetry.spans.wait_for(count=5, timeout=0.05)


def test_threads_that_carry_context_keep_the_tree(telemetry: Telemetry) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from opentelemetry import context

    def job(ctx: context.Context, n: int) -> None:
        token = context.attach(ctx)
        try:
            with tracer.start_as_current_span(f"job {n}"):
                pass
        finally:
            context.detach(token)

    with tracer.start_as_current_span("batch"), ThreadPoolExecutor(2) as pool:
        ctx = context.get_current()
        list(pool.map(lambda n: job(ctx, n), range(2)))
    assert telemetry.spans.roots.names == ["batch"]
    assert sorted(telemetry.spans.one(name="batch").children.names) == ["job 0", "job 1"]


def test_metrics_view(telemetry: Telemetry) -> None:
    orders = meter.create_counter("shop.orders", unit="{order}", description="Orders placed")
    stock = meter.create_gauge("shop.stock", unit="{item}")
    size = meter.create_histogram("shop.basket.size", unit="{item}")
    orders.add(2, {"shop.channel": "web"})
    orders.add(1, {"shop.channel": "app"})
    stock.set(7, {"shop.warehouse": "north"})
    for n in (1, 4, 30):
        size.record(n, {"shop.channel": "web"})

    m = telemetry.metrics
    assert {"shop.orders", "shop.stock", "shop.basket.size"} <= set(m.names)
    got = m.get("shop.orders")
    assert (got.kind, got.unit, got.description) == ("counter", "{order}", "Orders placed")
    assert m.value("shop.orders") == 3
    assert m.value("shop.orders", {"shop.channel": "web"}) == 2
    assert m.value("shop.stock") == 7 and m.get("shop.stock").kind == "gauge"
    h = m.histogram("shop.basket.size", {"shop.channel": "web"})
    assert (h.count, h.sum, h.min, h.max) == (3, 35, 1, 30)
    assert h.boundaries[:3] == (0.0, 5.0, 10.0) and sum(h.bucket_counts) == 3
    assert len(m.points("shop.orders")) == 2
    with pytest.raises(
        AssertionError, match=r"no metric 'shop.order' .*did you mean 'shop.orders'"
    ):
        m.value("shop.order")
    with pytest.raises(AssertionError, match="no point with attributes"):
        m.value("shop.orders", {"shop.channel": "phone"})


# Creating the instrument inside the test is the point here, and the plugin rightly warns that
# its callback outlives the test (test_hostile_suites checks that warning). No later test reads
# `shop.pool.size`, so the leak is harmless in this suite.
@pytest.mark.filterwarnings("ignore::otel_testing.plugin.OpenTelemetryLeakWarning")
def test_observable_instruments_report_what_the_callback_observes(telemetry: Telemetry) -> None:
    def observe(options: metrics.CallbackOptions) -> list[metrics.Observation]:
        return [metrics.Observation(42, {"shop.pool": "main"})]

    meter.create_observable_gauge("shop.pool.size", callbacks=[observe], unit="{connection}")
    assert telemetry.metrics.value("shop.pool.size", {"shop.pool": "main"}) == 42


@pytest.mark.asyncio
async def test_asyncio_tasks_are_captured(telemetry: Telemetry) -> None:
    import asyncio

    async def step(n: int) -> None:
        with tracer.start_as_current_span(f"step {n}"):
            await asyncio.sleep(0)

    with tracer.start_as_current_span("async root"):
        await asyncio.gather(step(1), step(2))
    assert telemetry.spans.one(name="async root").children.names == ["step 1", "step 2"]


def test_assert_has_exact_fails_on_unexpected_attributes(telemetry: Telemetry) -> None:
    checkout()
    span = telemetry.spans.one(name="reserve stock")
    span.assert_has(attributes={}, name="reserve stock")  # extras allowed by default
    span.assert_has(attributes={"shop.item.count": 3}, exact=True)
    with tracer.start_as_current_span("pay") as pay:
        pay.set_attribute("shop.amount", 10)
        pay.set_attribute("shop.currency", "EUR")
    with pytest.raises(AssertionError) as failure:
        telemetry.spans.one(name="pay").assert_has(attributes={"shop.amount": 10}, exact=True)
    assert str(failure.value) == (
        "span 'pay' does not match:\n  attributes:\n    + shop.currency: not expected, got 'EUR'"
    )


def test_a_missing_metric_point_is_diffed_against_the_closest_attribute_set(
    telemetry: Telemetry,
) -> None:
    served = meter.create_counter("shop.requests", unit="{request}")
    served.add(1, {"http.route": "/items", "http.request.method": "GET"})
    served.add(1, {"http.route": "/cart", "http.request.method": "POST", "shop.region": "eu"})
    with pytest.raises(AssertionError) as failure:
        telemetry.metrics.value("shop.requests", {"http.route": "/cart", "shop.region": "us"})
    message = str(failure.value)
    assert message.splitlines()[:5] == [
        "metric 'shop.requests' has no point with attributes "
        "{'http.route': '/cart', 'shop.region': 'us'}",
        "closest recorded attribute set, "
        "{'http.route': '/cart', 'http.request.method': 'POST', 'shop.region': 'eu'}:",
        "  ~ shop.region: expected 'us', got 'eu'",
        "  + http.request.method: not expected, got 'POST'",
        "recorded attribute sets:",
    ]


def test_failures_show_the_users_line_and_the_message_first_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    pytester.makepyfile(
        test_shop="""
        from opentelemetry import metrics, trace

        def test_span(telemetry):
            with trace.get_tracer("shop").start_as_current_span("checkout"):
                pass
            telemetry.spans.one(name="checkout").assert_has(kind="server")

        def test_metric(telemetry):
            metrics.get_meter("shop").create_counter("shop.orders").add(1, {"a": "b"})
            telemetry.metrics.value("shop.orders", {"a": "c"})
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-rf")
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert "otel_testing/views" not in output
    result.stdout.fnmatch_lines(
        [
            '>*telemetry.spans.one(name="checkout").assert_has(kind="server")',
            "E*span 'checkout' does not match:",
            "FAILED test_*::test_span - span 'checkout' does not match:",
            "FAILED test_*::test_metric - metric 'shop.orders' has no point with attributes*",
        ]
    )
