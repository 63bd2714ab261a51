"""The cost of the plugin to suites that do not ask, and to a `telemetry` test after TestBase tests.

Issue 14, points 1 and 6. Two generated suites, each run in a pytest subprocess of its own:

* ``bare``: 2,000 tests that emit a span and ask for nothing, run with the plugin loaded and with
  ``-p no:otel_testing``, interleaved, several times; the figure is the ratio of the medians.
* ``after-testbase``: N tests in the style of opentelemetry-test-utils' ``TestBase`` (fresh
  providers per test, the API's globals reset), then 200 ``telemetry`` tests; the figure is the
  median time of one ``telemetry`` test (set-up, call and teardown) after
  N = 0 and after N = 1,000, measured around each test's whole run protocol by a conftest.

    python bench/plugin_guest_cost.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_INI = "[pytest]\naddopts =\nasyncio_default_fixture_loop_scope = function\n"
#: Plugins of the environment that are not under test (logfire's import the SDK at start-up).
_QUIET = ["-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:logfire"]
_QUIET += ["-p", "no:pytest_logfire", "-q"]

_BARE = """
from opentelemetry import trace

tracer = trace.get_tracer(__name__)


def make(i):
    def test():
        with tracer.start_as_current_span("op " + str(i % 10)):
            pass
    return test


for i in range({count}):
    globals()[f"test_{{i}}"] = make(i)
"""

_TESTBASE = """
from opentelemetry import trace
from opentelemetry.test.test_base import TestBase


class TestMany(TestBase):
    pass


def make(i):
    def test(self):
        with trace.get_tracer("tb").start_as_current_span("tb"):
            pass
        assert len(self.memory_exporter.get_finished_spans()) == 1
    return test


for i in range({count}):
    setattr(TestMany, f"test_{{i}}", make(i))
"""

#: Times each telemetry test's whole protocol (set-up, call, teardown); JUnit rounds to 1 ms.
_TIMING_CONFTEST = """
import json
import time
from pathlib import Path

import pytest

TIMES = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.perf_counter()
    try:
        return (yield)
    finally:
        if item.nodeid.startswith("test_z_t"):
            TIMES.append(time.perf_counter() - start)


def pytest_sessionfinish(session):
    Path("times.json").write_text(json.dumps(TIMES))
"""

_TELEMETRY = """
from opentelemetry import trace


def make(i):
    def test(telemetry):
        with trace.get_tracer("z").start_as_current_span("z"):
            pass
        assert telemetry.spans.names == ["z"]
    return test


for i in range(200):
    globals()[f"test_{{i}}"] = make(i)
"""


def _suite(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    (root / "pytest.ini").write_text(_INI, encoding="utf-8")
    for name, body in files.items():
        (root / name).write_text(body, encoding="utf-8")
    return root


def _run(root: Path, *args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *_QUIET, *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"suite in {root} failed:\n{done.stdout[-3000:]}")
    return elapsed


def bare(base: Path, repeats: int) -> None:
    root = _suite(base / "bare", {"test_bare.py": _BARE.format(count=2000)})
    loaded, off = [], []
    for _ in range(repeats):
        loaded.append(_run(root))
        off.append(_run(root, "-p", "no:otel_testing"))
    ratio = statistics.median(loaded) / statistics.median(off)
    print(
        f"bare, 2,000 tests asking nothing: plugin loaded {statistics.median(loaded):.2f} s, "
        f"-p no:otel_testing {statistics.median(off):.2f} s (medians of {repeats}), "
        f"ratio {ratio:.3f}"
    )


def after_testbase(base: Path, repeats: int) -> None:
    medians: dict[int, list[float]] = {}
    for count in (0, 1000):
        root = _suite(
            base / f"after-{count}",
            {
                "conftest.py": _TIMING_CONFTEST,
                "test_a_tb.py": _TESTBASE.format(count=count),
                "test_z_t.py": _TELEMETRY.format(),
            },
        )
        for _ in range(repeats):
            _run(root)
            times = json.loads((root / "times.json").read_text(encoding="utf-8"))
            assert len(times) == 200, len(times)
            medians.setdefault(count, []).append(statistics.median(times))
    none, many = statistics.median(medians[0]), statistics.median(medians[1000])
    print(
        f"one telemetry test: after 0 TestBase tests {none * 1000:.3f} ms, after 1,000 "
        f"{many * 1000:.3f} ms (median of 200 tests, median of {repeats} runs), "
        f"ratio {many / none:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        bare(base, args.repeats)
        after_testbase(base, args.repeats)


if __name__ == "__main__":
    main()
