"""Real third-party test suites, run with the plugin and with ``-p no:otel_testing``.

Issue 14: installing otel-lint must change nothing in suites that do not ask for its fixtures.
For each suite below the script downloads the package's sdist from the package index (the test
files come from there; nothing is committed), installs the package at that version and its test
dependencies into a virtual environment of its own together with this repository, runs the suite
with and without the plugin (interleaved, ``--repeats`` times), and prints, per suite, the
outcome counts, how many tests differ in outcome between the two runs (and which), and the
median wall time of each.

    python bench/third_party_suites.py [--repeats 3] [--work DIR] [--only NAME]

The work directory (default ``bench/.third_party``, ignored by git) keeps the sdists and the
environments between runs.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tarfile
import time
import venv
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Suite:
    name: str
    #: The requirement whose sdist holds the tests; installed at exactly this version.
    requirement: str
    #: What its tests import besides the package (from its own test requirements).
    test_dependencies: tuple[str, ...]
    #: pytest arguments: where the tests are, and what needs a network or credentials.
    arguments: tuple[str, ...] = ("tests",)
    why: str = ""


SUITES = (
    Suite(
        "opentelemetry-sdk",
        "opentelemetry-sdk==1.45.2",
        ("opentelemetry-test-utils==0.66b2", "pytest", "psutil", "pyyaml", "flaky"),
        why="the SDK's own tests: global providers, the configurator, a conftest seeding random",
    ),
    Suite(
        "opentelemetry-instrumentation-flask",
        "opentelemetry-instrumentation-flask==0.66b2",
        ("opentelemetry-test-utils==0.66b2", "pytest", "flask", "markupsafe"),
        why="a contrib instrumentation's TestBase suite",
    ),
    Suite(
        "opentelemetry-instrumentation-requests",
        "opentelemetry-instrumentation-requests==0.66b2",
        ("opentelemetry-test-utils==0.66b2", "pytest", "requests", "httpretty", "mocket"),
        why="a contrib instrumentation's TestBase suite (httpretty and mocket, no network)",
    ),
    Suite(
        "azure-core-tracing-opentelemetry",
        "azure-core-tracing-opentelemetry==1.0.0b13",
        ("pytest", "azure-core", "requests", "opentelemetry-instrumentation-requests==0.66b2"),
        arguments=(
            "tests",
            "--ignore=tests/test_eventhubs_live.py",
            "--ignore=tests/test_servicebus_live.py",
            "--ignore=tests/test_storage_live.py",
        ),
        why="a library whose conftest sets its own TracerProvider (live tests need Azure)",
    ),
)

_SUMMARY = re.compile(r"^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (\S+)", re.MULTILINE)


def _run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def _environment(work: Path, suite: Suite) -> Path:
    """A virtual environment with the package, its test dependencies and this repository."""
    home = work / "venvs" / suite.name
    python = home / "bin" / "python"
    marker = home / "installed.txt"
    wanted = "\n".join([suite.requirement, *suite.test_dependencies, str(REPOSITORY)])
    if marker.exists() and marker.read_text(encoding="utf-8") == wanted:
        return python
    venv.create(home, with_pip=True, clear=True)
    done = _run(
        [str(python), "-m", "pip", "install", "-q", suite.requirement,
         *suite.test_dependencies, str(REPOSITORY)]
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"installing {suite.name} failed:\n{done.stderr[-3000:]}")
    marker.write_text(wanted, encoding="utf-8")
    return python


def _sources(work: Path, suite: Suite, python: Path) -> Path:
    """The sdist's extracted tree (its tests), downloaded once."""
    downloads = work / "sdists"
    downloads.mkdir(parents=True, exist_ok=True)
    name, version = suite.requirement.split("==")
    stem = f"{name.replace('-', '_')}-{version}"
    tree = work / "trees" / stem
    if tree.exists():
        return tree
    archive = downloads / f"{stem}.tar.gz"
    if not archive.exists():
        done = _run(
            [str(python), "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
             suite.requirement, "-d", str(downloads)]
        )  # fmt: skip
        if done.returncode != 0 or not archive.exists():
            raise SystemExit(f"downloading {suite.requirement} failed:\n{done.stderr[-3000:]}")
    tree.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as sdist:
        sdist.extractall(tree.parent, filter="data")
    return tree


def _pytest(python: Path, tree: Path, suite: Suite, plugin: bool) -> tuple[float, dict[str, str]]:
    # The pytest script, not `python -m pytest`: that puts the sdist's root on sys.path, where a
    # package laid out without src/ (azure/) would shadow the installed one.
    command = [
        str(python.parent / "pytest"), *suite.arguments,
        "-rA", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
    ]  # fmt: skip
    if not plugin:
        command += ["-p", "no:otel_testing"]
    start = time.perf_counter()
    done = _run(command, cwd=tree)
    elapsed = time.perf_counter() - start
    outcomes: dict[str, str] = {}
    for outcome, test in _SUMMARY.findall(done.stdout):
        if outcomes.get(test) != "ERROR":
            outcomes[test] = outcome
    if not outcomes:
        raise SystemExit(f"{suite.name}: no test outcomes\n{done.stdout[-3000:]}")
    return elapsed, outcomes


def _counts(outcomes: dict[str, str]) -> str:
    order = ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS")
    found = [f"{sum(1 for o in outcomes.values() if o == kind)} {kind.lower()}" for kind in order]
    return ", ".join(part for part in found if not part.startswith("0 "))


def measure(work: Path, suite: Suite, repeats: int) -> str:
    python = _environment(work, suite)
    tree = _sources(work, suite, python)
    with_times: list[float] = []
    without_times: list[float] = []
    with_outcomes: dict[str, str] = {}
    without_outcomes: dict[str, str] = {}
    differing: set[str] = set()
    for _ in range(repeats):
        elapsed, with_outcomes = _pytest(python, tree, suite, plugin=True)
        with_times.append(elapsed)
        elapsed, without_outcomes = _pytest(python, tree, suite, plugin=False)
        without_times.append(elapsed)
        differing |= {
            test
            for test in with_outcomes.keys() | without_outcomes.keys()
            if with_outcomes.get(test) != without_outcomes.get(test)
        }
    with_median, without_median = statistics.median(with_times), statistics.median(without_times)
    for test in sorted(differing):
        print(f"  differs: {test}: {with_outcomes.get(test)} / {without_outcomes.get(test)}")
    return (
        f"| {suite.name} | {len(without_outcomes)} | {_counts(with_outcomes)} | "
        f"{_counts(without_outcomes)} | {len(differing)} | {with_median:.2f} s | "
        f"{without_median:.2f} s | {with_median / without_median:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=REPOSITORY / "bench" / ".third_party")
    parser.add_argument("--only", help="run only the suite with this name")
    args = parser.parse_args()
    print(
        "| suite | tests | with the plugin | with -p no:otel_testing | tests that differ | "
        f"time with (median of {args.repeats}) | time without | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for suite in SUITES:
        if args.only and suite.name != args.only:
            continue
        print(measure(args.work, suite, args.repeats), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
