"""Real instrumentations, pytest-xdist, random order, and flat memory over many tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def test_flask_and_requests_instrumentors_are_captured(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        import requests
        from flask import Flask
        from opentelemetry.instrumentation.flask import FlaskInstrumentor
        from opentelemetry.instrumentation.requests import RequestsInstrumentor
        from opentelemetry.trace import SpanKind

        app = Flask(__name__)

        @app.get("/items/<int:item_id>")
        def item(item_id):
            return {"id": item_id}

        FlaskInstrumentor().instrument_app(app)

        def test_flask_test_client(telemetry):
            assert app.test_client().get("/items/7").status_code == 200
            span = telemetry.spans.one(kind=SpanKind.SERVER)
            route = "/items/<int:item_id>"
            span.assert_has(name="GET " + route, attributes={"http.route": route})

        class Ok(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        def test_requests_client(telemetry):
            server = HTTPServer(("127.0.0.1", 0), Ok)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            RequestsInstrumentor().instrument()
            try:
                requests.get(f"http://127.0.0.1:{server.server_port}/ping", timeout=5)
            finally:
                RequestsInstrumentor().uninstrument()
                server.shutdown()
            span = telemetry.spans.one(kind=SpanKind.CLIENT)
            assert span.name == "GET"
            # 0.66b1 still emits the old key unless OTEL_SEMCONV_STABILITY_OPT_IN says otherwise.
            attributes = span.attributes
            status = attributes.get("http.response.status_code", attributes.get("http.status_code"))
            assert status == 204
        """
    )
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=2)


ORDER_SUITE = """
import json, logging, os, pathlib
import pytest
from opentelemetry import metrics, trace

tracer = trace.get_tracer("suite")
meter = metrics.get_meter("suite")
jobs = meter.create_counter("suite.jobs", unit="{job}")
queue = meter.create_up_down_counter("suite.queue", unit="{job}")
took = meter.create_histogram("suite.took", unit="s")

@pytest.fixture(autouse=True)
def record(request, telemetry):
    yield
    out = pathlib.Path(os.environ["SNAPSHOT_DIR"]) / (request.node.name + ".json")
    out.write_text(json.dumps(telemetry.as_dict(), sort_keys=True, default=str))

@pytest.mark.parametrize("n", range(8))
def test_job(n, telemetry):
    with tracer.start_as_current_span(f"job {n}"):
        with tracer.start_as_current_span("step"):
            logging.getLogger("suite").warning("job %d", n)
        for _ in range(n + 1):
            jobs.add(1, {"suite.kind": "batch"})
        queue.add(n)
        took.record(float(n))
    assert telemetry.metrics.value("suite.jobs") == n + 1
    assert len(telemetry.spans) == 2
"""


def _snapshots(pytester: pytest.Pytester, name: str, *args: str) -> dict[str, str]:
    out = pytester.path / name
    out.mkdir()
    pytester._monkeypatch.setenv("SNAPSHOT_DIR", str(out))
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=8)
    return {p.name: p.read_text() for p in sorted(out.iterdir())}


def test_xdist_and_random_order_give_the_same_results_as_a_plain_run(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_order=ORDER_SUITE)
    plain = _snapshots(pytester, "plain", "-p", "no:randomly")
    shuffled = _snapshots(pytester, "shuffled", "-p", "randomly", "--randomly-seed=7")
    parallel = _snapshots(pytester, "parallel", "-n", "2", "-p", "randomly")
    assert len(plain) == 8
    assert shuffled == plain
    assert parallel == plain
    first = json.loads(plain["test_job[3].json"])
    assert first["metrics"]["suite.jobs"]["points"][0]["value"] == 4
    assert first["metrics"]["suite.queue"]["points"][0]["value"] == 3


@pytest.mark.slow  # about 11 s on a loaded 2-core machine: two 400-test suites
def test_memory_stays_flat_over_many_tests() -> None:
    # bench/plugin_memory.py runs the same generated suite with the plugin and `telemetry`, and
    # with neither; pytest keeps a report per test either way (~3 kB), so what counts is the
    # difference of the two growths. Measured: ~125 B per test, all of it in pytest's own
    # per-test objects (the new objects after test 100 are the same in both runs). One retained
    # span with its 200-byte attribute, or one retained log record, is well over 1 kB.
    script = Path(__file__).parents[2] / "bench" / "plugin_memory.py"
    completed = subprocess.run(
        [sys.executable, str(script), "--tests", "400", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    figures = json.loads(completed.stdout)
    assert figures["plugin"]["tests"] == 300
    assert figures["bare"]["traced_bytes"] > 0  # the measurement sees pytest's own growth
    assert figures["added_per_test"] < 512, figures


#: A small shop: its own span and metric around a Flask route that calls a downstream service
#: with requests, both instrumented by the contrib instrumentations (old HTTP conventions).
SHOP_APP = """
import requests
from flask import Flask
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor

tracer = trace.get_tracer(__name__)
orders = metrics.get_meter(__name__).create_counter("shop.orders", unit="{order}")
app = Flask(__name__)
DOWNSTREAM = {"url": ""}

@app.post("/checkout")
def checkout():
    with tracer.start_as_current_span("checkout") as span:
        span.set_attribute(OWN_KEY, "POST")
        requests.get(DOWNSTREAM["url"], timeout=5)
    orders.add(1, {"shop.channel": "web"})
    return {"ok": True}

FlaskInstrumentor().instrument_app(app)
RequestsInstrumentor().instrument()
"""
SHOP_TESTS = """
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from shop import app as shop

class Ok(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass

@pytest.fixture(scope="module", autouse=True)
def downstream():
    server = HTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    shop.DOWNSTREAM["url"] = f"http://127.0.0.1:{server.server_port}/stock"
    yield
    server.shutdown()

@pytest.mark.parametrize("n", range(3))
def test_checkout(telemetry, n):
    assert shop.app.test_client().post("/checkout").status_code == 200
    assert sorted(telemetry.spans.names) == ["GET", "POST /checkout", "checkout"]
"""


def _shop(pytester: pytest.Pytester, own_key: str) -> None:
    pytester.mkpydir("shop")
    (pytester.path / "shop" / "app.py").write_text(SHOP_APP.replace("OWN_KEY", repr(own_key)))
    pytester.makepyfile(test_shop=SHOP_TESTS)


def test_a_flask_app_passes_strict_mode_behind_old_convention_instrumentations(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_SEMCONV_STABILITY_OPT_IN", raising=False)
    _shop(pytester, "http.request.method")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--otel-strict")
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.OK
    hint = "  hint: *OTEL_SEMCONV_STABILITY_OPT_IN to 'http' or 'http/dup'*"
    result.stdout.fnmatch_lines(
        [
            "*otel-testing: scopes the project does not own*",
            "opentelemetry.instrumentation.flask: * violation(s), not failed",
            "  OTL301 `http.method` is a deprecated *(on *span 'POST /checkout'*)",
            hint,
            "opentelemetry.instrumentation.requests: * violation(s), not failed",
            "  OTL301 `http.method` is a deprecated *(on *span 'GET'*)",
            hint,
            "otel-testing: 9 spans, 4 metrics, 0 log records, 3 scopes; "
            "violations: 0 new, 0 known*",
        ]
    )
    # The hint is right: opted in, the Flask instrumentation has nothing left to report.
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    opted_in = pytester.runpytest_subprocess("-p", "no:randomly", "--otel-strict")
    opted_in.assert_outcomes(passed=3)
    opted_in.stdout.no_fnmatch_line("*opentelemetry.instrumentation.flask*")
    opted_in.stdout.no_fnmatch_line("*hint:*")


def test_a_flask_app_fails_strict_mode_for_its_own_deprecated_key(
    pytester: pytest.Pytester,
) -> None:
    _shop(pytester, "http.method")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "--otel-strict")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*telemetry violates the semantic conventions:",
            "*OTL301 ?span 'checkout', scope 'shop.app'? `http.method` is a deprecated*",
        ]
    )
    failures = result.stdout.str().split("short test summary")[0]
    assert "'POST /checkout'" not in failures.split("= FAILURES =")[1].split("otel-testing")[0]


@pytest.mark.slow
def test_a_flask_apps_report_is_the_same_under_xdist_and_random_order(
    pytester: pytest.Pytester,
) -> None:
    _shop(pytester, "http.method")
    outputs = []
    for options in (["-p", "no:randomly"], ["-n", "2", "--randomly-seed=3"]):
        result = pytester.runpytest_subprocess(
            *options,
            "--otel-strict",
            "--otel-write-baseline=base.json",
            "--otel-report=report.json",
        )
        result.assert_outcomes(passed=3)
        summary = [line for line in result.outlines if line.startswith("otel-testing: ")]
        report = json.loads((pytester.path / "report.json").read_text())
        outputs.append((summary, (pytester.path / "base.json").read_text(), report))
    assert outputs[0] == outputs[1]
    baseline = json.loads(outputs[0][1])["violations"]
    assert baseline == [
        {
            "code": "OTL301",
            "signal": "span",
            "name": "checkout",
            "key": "http.method",
            "scope": "shop.app",
        }
    ]
    known = pytester.runpytest_subprocess("-n", "2", "--otel-strict", "--otel-baseline=base.json")
    known.assert_outcomes(passed=3)
