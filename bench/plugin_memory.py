"""Does a long suite that uses the ``telemetry`` fixture grow in memory from test to test?

    python bench/plugin_memory.py [--tests 1000] [--json]

Runs a generated suite twice in fresh pytest processes: every test emits a span with a 200-byte
attribute, a log record and a counter increment; once with the plugin and the fixture (which
asserts on what was captured), once with ``-p no:otel_testing`` and no fixture. Each run samples
memory after test 100 and after the last test, after a full garbage collection: the bytes
tracemalloc traces, and the process's resident set size.

pytest itself keeps a report per test, so the bare run grows too; what the plugin adds is the
difference between the two growths. tracemalloc's per-line statistics are no help for that:
CPython reuses freed dicts from a free list, so pytest's reports show up under whatever line last
allocated the block (an attributes dict in the SDK's metric storage, for instance).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

FIRST_SAMPLE = 100

SUITE = """
import gc, json, logging, os, tracemalloc
import pytest
from opentelemetry import metrics, trace

TESTS = int(os.environ["MEMORY_TESTS"])
WITH_PLUGIN = os.environ["MEMORY_WITH_PLUGIN"] == "1"
tracer = trace.get_tracer("memory")
calls = metrics.get_meter("memory").create_counter("memory.calls", unit="{call}")
SAMPLES = {}


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def setup_module():
    tracemalloc.start()


@pytest.mark.parametrize("n", range(1, TESTS + 1))
def test_emits(n, SIGNATURE):
    with tracer.start_as_current_span("work") as span:
        span.set_attribute("memory.payload", "x" * 200)
        logging.getLogger("memory").warning("record %d", n)
    calls.add(1, {"memory.kind": "a"})
    if WITH_PLUGIN:
        assert telemetry.spans.one(name="work").attributes["memory.payload"] == "x" * 200
        assert telemetry.metrics.value("memory.calls") == 1
        assert telemetry.logs.bodies == [f"record {n}"]
    if n in (FIRST, TESTS):
        gc.collect()
        SAMPLES[n] = {"traced": tracemalloc.get_traced_memory()[0], "rss": _rss()}
    if n == TESTS:
        with open(os.environ["MEMORY_OUT"], "w") as out:
            json.dump(SAMPLES, out)
"""


@dataclass(frozen=True)
class Growth:
    """Memory growth between test ``FIRST_SAMPLE`` and the last test of one run."""

    traced_bytes: int
    rss_bytes: int
    tests: int

    @property
    def traced_per_test(self) -> float:
        return self.traced_bytes / self.tests


def run_suite(tests: int, with_plugin: bool, workdir: Path) -> Growth:
    """Run the generated suite in a fresh pytest process and return its growth."""
    suite = workdir / "test_memory_suite.py"
    # The plugin records only in tests that name one of its fixtures.
    signature = "telemetry" if with_plugin else "request"
    suite.write_text(SUITE.replace("FIRST", str(FIRST_SAMPLE)).replace("SIGNATURE", signature))
    (workdir / "pytest.ini").write_text("[pytest]\n")
    out = workdir / f"samples-{int(with_plugin)}.json"
    env = {
        **os.environ,
        "MEMORY_TESTS": str(tests),
        "MEMORY_WITH_PLUGIN": "1" if with_plugin else "0",
        "MEMORY_OUT": str(out),
    }
    plugin_args = [] if with_plugin else ["-p", "no:otel_testing"]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    completed = subprocess.run(
        [*command, "-p", "no:xdist", *plugin_args, suite.name],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the generated suite failed:\n{completed.stdout}\n{completed.stderr}")
    samples = json.loads(out.read_text())
    first, last = samples[str(FIRST_SAMPLE)], samples[str(tests)]
    return Growth(
        traced_bytes=last["traced"] - first["traced"],
        rss_bytes=last["rss"] - first["rss"],
        tests=tests - FIRST_SAMPLE,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.tests <= FIRST_SAMPLE:
        parser.error(f"--tests must be more than {FIRST_SAMPLE}")
    with tempfile.TemporaryDirectory() as tmp:
        plugin = run_suite(args.tests, True, Path(tmp))
        bare = run_suite(args.tests, False, Path(tmp))
    added = (plugin.traced_bytes - bare.traced_bytes) / plugin.tests
    if args.json:
        print(json.dumps({"plugin": asdict(plugin), "bare": asdict(bare), "added_per_test": added}))
        return 0
    print(f"growth from test {FIRST_SAMPLE} to test {args.tests} ({plugin.tests} tests):")
    print("| run | traced by tracemalloc | per test | resident set |")
    print("|---|---|---|---|")
    for label, growth in (("plugin + telemetry", plugin), ("no plugin, no fixture", bare)):
        print(
            f"| {label} | {growth.traced_bytes:,} B | {growth.traced_per_test:.0f} B | "
            f"{growth.rss_bytes / 1024:,.0f} KiB |"
        )
    print(f"added by the plugin: {added:.1f} B per test")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
