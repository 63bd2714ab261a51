"""The 4xx rules on whole projects: instrumentation activated in one place, the span in another.

Each project is written to a temporary folder and linted with ``run_lint``, the function the
command line calls, so project facts come from the same discovery the users' runs use: the
checked file, the project's other Python files and its deployment files.
"""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from project_lint import lint_project, write_project

from otel_lint.catalogue.model import load_rules
from otel_lint.checks.instrumented_libraries import CLIENT_LIBRARIES, WEB_FRAMEWORKS
from otel_lint.conventions.registry import Registry
from otel_lint.engine.analysis import analyze_text
from otel_lint.findings import Finding
from otel_lint.project.facts import holds, text_facts

MANUAL_SPAN_RULES = tuple(rule for rule in load_rules() if rule.code.startswith("OTL4"))

USERS = """\
    import requests
    from opentelemetry import trace

    tracer = trace.get_tracer(__name__)


    def fetch_user(user_url):
        with tracer.start_as_current_span("fetch_user"):
            return requests.get(user_url, timeout=5)
"""


def lint(folder: Path, *only: str) -> list[Finding]:
    """Findings of the 4xx family; ``only`` names the files to check (the rest give facts)."""
    return lint_project(folder, "OTL4", *only)


def codes(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def facts_of_file(text: str, registry: Registry) -> list[Finding]:
    """Findings of one file before project facts are applied, with their requirements."""
    return list(analyze_text("example.py", dedent(text), MANUAL_SPAN_RULES, registry).findings)


# --- where the instrumentation is activated ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "activation"),
    [
        pytest.param(
            "telemetry.py",
            """\
            from opentelemetry.instrumentation.requests import RequestsInstrumentor

            RequestsInstrumentor().instrument()
            """,
            id="instrumentor-in-another-module",
        ),
        pytest.param(
            "requirements.txt",
            "requests==2.32.3\nopentelemetry-instrumentation-requests==0.66b1\n",
            id="requirements",
        ),
        pytest.param(
            "Dockerfile",
            'FROM python:3.12-slim\nCMD ["opentelemetry-instrument", "python", "-m", "users"]\n',
            id="zero-code-dockerfile",
        ),
        pytest.param(
            "deploy/Procfile",
            "web: opentelemetry-instrument gunicorn app:app\n",
            id="zero-code-procfile",
        ),
    ],
)
def test_span_around_a_client_call_is_flagged_where_the_project_activates_it(
    tmp_path: Path, name: str, activation: str
) -> None:
    write_project(tmp_path, {name: activation, "users.py": USERS})
    findings = lint(tmp_path, "users.py")
    assert codes(findings) == ["OTL401"]
    assert "requests instrumentation" in findings[0].message
    assert findings[0].line == 8


def test_span_around_a_client_call_is_kept_when_nothing_instruments_the_client(
    tmp_path: Path,
) -> None:
    write_project(
        tmp_path,
        {
            "telemetry.py": """\
                from opentelemetry.instrumentation.flask import FlaskInstrumentor

                FlaskInstrumentor().instrument()
            """,
            "requirements.txt": "opentelemetry-instrumentation-httpx\n",
            "users.py": USERS,
        },
    )
    assert lint(tmp_path) == []


def test_a_commented_out_requirement_activates_nothing(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "requirements.txt": "requests==2.32.3\n# opentelemetry-instrumentation-requests\n",
            "Dockerfile": "FROM python:3.12-slim\n# CMD opentelemetry-instrument python -m users\n",
            "users.py": USERS,
        },
    )
    assert lint(tmp_path) == []


def test_importing_an_instrumentor_without_calling_it_activates_nothing(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "telemetry.py": """\
                from opentelemetry.instrumentation.requests import RequestsInstrumentor

                __all__ = ["RequestsInstrumentor"]
            """,
            "users.py": USERS,
        },
    )
    assert lint(tmp_path) == []


def test_web_framework_instrumented_in_main_flags_the_route_module(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "main.py": """\
                from fastapi import FastAPI
                from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

                from routes import router

                app = FastAPI()
                app.include_router(router)
                FastAPIInstrumentor.instrument_app(app)
            """,
            "routes.py": """\
                from fastapi import APIRouter
                from opentelemetry import trace

                router = APIRouter()
                tracer = trace.get_tracer(__name__)


                @router.post("/orders")
                async def create_order(order: OrderIn):
                    with tracer.start_as_current_span("create_order"):
                        saved = await repository.save(order)
                        return {"id": saved.key}


                @router.get("/orders/{order_key}")
                async def read_order(order_key: str):
                    order = await repository.load(order_key)
                    with tracer.start_as_current_span("render_order"):
                        return render(order)
            """,
        },
    )
    findings = lint(tmp_path, "routes.py")
    assert codes(findings) == ["OTL402"]
    assert "fastapi instrumentation" in findings[0].message


def test_project_rules_and_local_rules_report_together(tmp_path: Path) -> None:
    """Local rules (403-405) need no facts; the project's facts only decide 401 and 402."""
    write_project(
        tmp_path,
        {
            "requirements.txt": "opentelemetry-instrumentation-redis\n",
            "jobs.py": """\
                import redis
                from opentelemetry import trace

                tracer = trace.get_tracer(__name__)
                cache = redis.Redis()


                def remember(key, value):
                    with tracer.start_as_current_span("remember"):
                        cache.set(key, value)


                @tracer.start_as_current_span("sweep")
                def sweep():
                    with tracer.start_as_current_span("sweep"):
                        try:
                            purge()
                        except Exception:
                            pass
            """,
        },
    )
    assert sorted(codes(lint(tmp_path))) == ["OTL401", "OTL403", "OTL405"]


# --- what one file shows ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "library"),
    [
        pytest.param(
            """\
            import requests as rq

            def ping(url):
                with tracer.start_as_current_span("ping"):
                    rq.head(url)
            """,
            "requests",
            id="aliased-module",
        ),
        pytest.param(
            """\
            from httpx import AsyncClient

            async def ping(url):
                async with AsyncClient() as client:
                    with tracer.start_as_current_span("ping"):
                        response = await client.get(url)
                        return response.status_code
            """,
            "httpx",
            id="client-from-async-with",
        ),
        pytest.param(
            """\
            import asyncpg

            class Repository:
                async def connect(self, dsn):
                    self.pool = await asyncpg.create_pool(dsn)

                async def count(self):
                    with tracer.start_as_current_span("count_users"):
                        return await self.pool.fetchval("SELECT count(*) FROM users")
            """,
            "asyncpg",
            id="pool-stored-on-self",
        ),
        pytest.param(
            """\
            import grpc

            from inventory_pb2_grpc import InventoryStub

            def reserve(channel, request):
                stub = InventoryStub(channel)
                with tracer.start_as_current_span("reserve"):
                    return stub.Reserve(request)
            """,
            "grpc",
            id="grpc-stub-by-name",
        ),
        pytest.param(
            """\
            from tasks import send_receipt

            def queue_receipt(order_key):
                with tracer.start_as_current_span("queue_receipt"):
                    send_receipt.delay(order_key)
            """,
            "celery",
            id="celery-task-defined-elsewhere",
        ),
        pytest.param(
            """\
            from pymongo import MongoClient

            client = MongoClient()
            db = client.shop

            def find_user(email_hash):
                with tracer.start_as_current_span("find_user"):
                    return db.users.find_one({"email_hash": email_hash})
            """,
            "pymongo",
            id="mongo-collection-through-attributes",
        ),
        pytest.param(
            """\
            import requests
            from opentelemetry.semconv.attributes import http_attributes

            def browse():
                with tracer.start_as_current_span("web_request") as span:
                    url = "http://localhost:5000"
                    span.set_attributes({http_attributes.HTTP_REQUEST_METHOD: "GET"})
                    response = requests.get(url)
                    span.set_attribute(
                        http_attributes.HTTP_RESPONSE_STATUS_CODE, response.status_code
                    )
            """,
            "requests",
            id="convention-constants-and-a-prepared-url",
        ),
    ],
)
def test_client_calls_are_recognised_by_their_shape(
    source: str, library: str, registry: Registry
) -> None:
    findings = [f for f in facts_of_file(source, registry) if f.code == "OTL401"]
    assert [f.requires for f in findings] == [(f"instrumented:{library}",)]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            """\
            import requests

            def fetch(cache, url):
                with tracer.start_as_current_span("fetch"):
                    return cache.get(url)
            """,
            id="get-on-a-receiver-no-library-claims",
        ),
        pytest.param(
            """\
            import requests

            def fetch_all(urls):
                with tracer.start_as_current_span("fetch_all"):
                    return [requests.get(url) for url in urls]
            """,
            id="several-calls-in-a-comprehension",
        ),
        pytest.param(
            """\
            import requests

            def fetch(url, tier):
                with tracer.start_as_current_span("fetch") as span:
                    span.set_attribute("shop.user.tier", tier)
                    return requests.get(url)
            """,
            id="business-attribute",
        ),
        pytest.param(
            """\
            import requests

            def fetch(url):
                with tracer.start_as_current_span("fetch"):
                    response = requests.get(url)
                    audit(response)
                    return response
            """,
            id="more-work-on-the-result",
        ),
    ],
)
def test_business_spans_and_non_client_calls_are_not_flagged(
    source: str, registry: Registry
) -> None:
    assert [f for f in facts_of_file(source, registry) if f.code == "OTL401"] == []


def test_span_leak_and_swallowing_edges(registry: Registry) -> None:
    source = """\
        from opentelemetry.trace import Status, StatusCode


        def leaks_unless_finally():
            try:
                span = tracer.start_span("ok_finally_of_enclosing_try")
                work()
            finally:
                span.end()


        def status_ok_is_not_recording():
            with tracer.start_as_current_span("store") as span:
                try:
                    store()
                except OSError:
                    span.set_status(Status(StatusCode.OK))


        def handler_in_a_callback_is_not_the_spans():
            with tracer.start_as_current_span("schedule"):
                def later():
                    try:
                        work()
                    except Exception:
                        pass
                scheduler.add(later)
    """
    findings = facts_of_file(source, registry)
    assert [(f.code, f.line) for f in findings] == [("OTL405", 16)]


# --- the table ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "instrumentation",
    [lib.instrumentation for lib in CLIENT_LIBRARIES]
    + [framework.instrumentation for framework in WEB_FRAMEWORKS],
)
def test_table_names_are_the_facts_a_requirement_line_produces(instrumentation: str) -> None:
    distribution = "opentelemetry-instrumentation-" + instrumentation.replace("_", "-")
    produced = text_facts(f"{distribution}==0.66b1\n")
    assert holds(f"instrumented:{instrumentation}", produced)
    assert f"instrumented:{instrumentation}" in produced


def test_table_names_are_unique() -> None:
    names = [lib.instrumentation for lib in CLIENT_LIBRARIES]
    assert len(names) == len(set(names))
    frameworks = [framework.instrumentation for framework in WEB_FRAMEWORKS]
    assert len(frameworks) == len(set(frameworks))


def test_other_libraries_start_span_methods_are_not_tracers(registry: Registry) -> None:
    """Hypothesis pairs ``data.start_span(label)`` with ``stop_span()``: not OpenTelemetry."""
    source = """\
        def draw(data, label):
            data.start_span(label)
            value = data.draw_integer()
            data.stop_span()
            return value
    """
    assert facts_of_file(source, registry) == []
    imported_tracer = """\
        from shop.telemetry import tracer

        def warm_up():
            tracer.start_span("warm_up")
    """
    assert codes(facts_of_file(imported_tracer, registry)) == ["OTL404"]


def test_an_exception_kept_for_later_is_not_swallowed(registry: Registry) -> None:
    """The contrib instrumentations keep the exception and record it after the call."""
    source = """\
        from opentelemetry import trace

        def send(wrapped, request):
            with tracer.start_as_current_span("send") as span:
                exception = None
                try:
                    result = wrapped(request)
                except Exception as exc:
                    exception = exc
                    result = None
                if exception is not None:
                    span.record_exception(exception)
                return result


        def logged_only():
            with tracer.start_as_current_span("sync"):
                try:
                    sync()
                except Exception as exc:
                    logger.warning("sync failed: %s", exc)
    """
    assert [(f.code, f.line) for f in facts_of_file(source, registry)] == [("OTL405", 20)]


def test_end_after_the_block_the_span_started_in(registry: Registry) -> None:
    """Leaving a ``with`` or an ``if`` branch reaches the end(); leaving a loop body does not."""
    source = """\
        from opentelemetry import trace

        def branches(flag):
            if flag:
                span = tracer.start_span("fast_path")
            else:
                span = tracer.start_span("slow_path")
            span.end()


        def per_item(items):
            for item in items:
                span = tracer.start_span("item")
            span.end()
    """
    assert [(f.code, f.line) for f in facts_of_file(source, registry)] == [("OTL404", 13)]
