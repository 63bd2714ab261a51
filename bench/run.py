"""The performance benchmark: ``python bench/run.py [--quick]`` prints one table of ratios.

Every figure is a whole process (interpreter start included), a median over several rounds, and
sits next to a reference measured in the same rounds, commands interleaved: the machine is shared,
so only ratios measured together mean anything. See bench/README.md for the last results.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import corpus as corpus_module
import measure
import plugin_suite
import sgconfig
from measure import Command

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OTEL_LINT = str(BIN / "otel-lint")
AST_GREP = shutil.which("ast-grep", path=str(BIN)) or shutil.which("ast-grep") or "ast-grep"
PYTEST_OPTIONS = ["-p", "no:randomly", "-p", "no:cacheprovider", "-q"]
#: The file checked alone, as pre-commit would after it changed (relative to its sdist folder).
ONE_FILE = "src/opentelemetry/instrumentation/requests/__init__.py"


@dataclass(frozen=True)
class Row:
    measure: str
    subject: str
    reference: str
    ratio: str
    target: str
    holds: str


def _verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def _median_s(series: measure.Series) -> str:
    return f"{series.median:.2f} s"


def _edit_one_file(path: Path, original: bytes) -> Callable[[int], None]:
    """A ``before`` step that changes the file's bytes (a new comment each round)."""

    def edit(number: int) -> None:
        path.write_bytes(original + f"\n# otel-lint bench edit {number}\n".encode())

    return edit


def _importtime(rounds: int, env: dict[str, str]) -> tuple[float, float]:
    """Median import time of what ``otel-lint check`` imports, and of ``python -c pass``, in s."""
    imports, bare = [], []
    for _ in range(rounds):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import otel_lint.cli, otel_lint.runner"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        total = 0
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "imported package" in line:
                continue
            _, cumulative, name = line.split("|", 2)
            # Top-level entries (one space of indent) of the otel_lint packages hold the rest.
            if name.startswith(" otel_lint") and not name.startswith("  "):
                total += int(cumulative)
        imports.append(total / 1e6)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
        bare.append(time.perf_counter() - started)
    return statistics.median(imports), statistics.median(bare)


def _git_project(source: Path, into: Path) -> Path:
    """A copy of ``source`` that is a git repository, as pre-commit sees a project."""
    shutil.copytree(source, into, symlinks=True)
    subprocess.run(["git", "init", "-q", str(into)], check=True)
    return into


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    version = subprocess.run([AST_GREP, "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs{memory}; "
        f"Python {platform.python_version()}; {version}; load average at start "
        f"{' '.join(f'{v:.1f}' for v in os.getloadavg())}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer rounds, a smaller corpus and suite"
    )
    parser.add_argument("--rounds", type=int, help="rounds of every interleaved comparison")
    arguments = parser.parse_args()
    quick = arguments.quick
    # Measure what users run: Python writes and reuses bytecode unless told not to. With this set
    # (some CI images and sandboxes do), every process compiles otel-lint's modules again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    rounds = arguments.rounds or 3
    cheap_rounds = arguments.rounds or (3 if quick else 5)
    tests = 500 if quick else 2000
    machine = _machine()
    print(f"machine: {machine}", flush=True)

    print("corpus: fetching (cached after the first run) ...", flush=True)
    corpus = corpus_module.fetch()
    for requirement in corpus.skipped:
        print(f"  skipped {requirement}: no source distribution", flush=True)
    django = next(corpus.root.glob("django-*"))
    instrumentations = sorted(
        p for p in corpus.root.iterdir() if p.name.startswith("opentelemetry-")
    )
    if quick:
        targets = [*instrumentations, next(django.glob("django-*")) / "django" / "db"]
    else:
        targets = [corpus.root]
    files = sum(1 for t in targets for _ in t.rglob("*.py"))
    lines = sum(p.read_bytes().count(b"\n") for t in targets for p in t.rglob("*.py"))
    subset = "; --quick: the instrumentations and django/db" if quick else ""
    what = f"{files} Python files, {lines} lines ({len(corpus.packages)} sdists{subset})"
    print(f"corpus: {what}", flush=True)

    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="otel-lint-bench-") as temporary:
        work = Path(temporary)
        config, rule_count, warnings = sgconfig.write_sgconfig(
            REPO / "src/otel_lint/catalogue/rules", work / "sg"
        )
        notes += warnings
        registry_cache = work / "registry-cache"
        warm_cache = work / "warm-cache"
        base_env = {"OTEL_LINT_CACHE_DIR": str(registry_cache), "NO_COLOR": "1"}
        env = {**os.environ, **base_env}
        # Build the semantic-conventions registry cache once: "cold" below means no results
        # cache (--no-cache), with the registry cache (one per installed package) already built.
        subprocess.run(
            [OTEL_LINT, "check", "--no-cache", str(REPO / "bench" / "run.py")],
            env=env,
            cwd=work,
            capture_output=True,
        )

        paths = [str(t) for t in targets]
        ast_grep = Command(
            "ast-grep scan",
            [AST_GREP, "scan", "--threads", "2", "--json=compact", "-c", str(config), *paths],
            cwd=work,
        )
        cold = Command(
            "otel-lint cold",
            [OTEL_LINT, "check", "--no-cache", "--jobs", "2", "--output-format", "json", *paths],
            env=base_env,
            cwd=work,
        )
        print(f"cold full run: {rule_count} rules, {rounds} rounds", flush=True)
        series = measure.interleaved([ast_grep, cold], rounds, sample_tree=True, label="cold")
        reference = cold_reference = series["ast-grep scan"]
        cold_series = series["otel-lint cold"]
        ratio = cold_series.median / reference.median
        rows.append(
            Row(
                "cold full run (--no-cache, --jobs 2)",
                _median_s(cold_series),
                f"ast-grep scan -j 2: {_median_s(reference)}",
                f"{ratio:.2f}x",
                "<= 1.5x",
                _verdict(ratio <= 1.5),
            )
        )

        # Warm: a results cache filled by one untimed run, then the same check again, and again
        # after one file's bytes changed (the cache is keyed by content, so mtime alone is no edit).
        shutil.copytree(registry_cache, warm_cache)
        warm_env = {**base_env, "OTEL_LINT_CACHE_DIR": str(warm_cache)}
        warm_argv = [OTEL_LINT, "check", "--jobs", "2", "--output-format", "json", *paths]
        subprocess.run(warm_argv, env={**os.environ, **warm_env}, cwd=work, capture_output=True)
        edited = next(django.glob("django-*")) / "django" / "db" / "models" / "query.py"
        original = edited.read_bytes()
        try:
            warm = Command("otel-lint warm", warm_argv, env=warm_env, cwd=work)
            touched = Command(
                "otel-lint warm, 1 file edited",
                warm_argv,
                env=warm_env,
                cwd=work,
                before=_edit_one_file(edited, original),
            )
            print(f"warm re-run: {rounds} rounds", flush=True)
            series = measure.interleaved([ast_grep, warm, touched], rounds, label="warm")
        finally:
            edited.write_bytes(original)
        reference = series["ast-grep scan"]
        for name, label in (
            ("otel-lint warm", "warm re-run, nothing changed"),
            ("otel-lint warm, 1 file edited", "warm re-run, 1 file edited"),
        ):
            ratio = series[name].median / reference.median
            rows.append(
                Row(
                    label,
                    _median_s(series[name]),
                    f"cold ast-grep scan: {_median_s(reference)}",
                    f"{ratio:.2f}x",
                    "<= 0.2x",
                    _verdict(ratio <= 0.2),
                )
            )

        # One file, as pre-commit calls it: from the project's root (a git repository), the file
        # changed since the last run (so the results cache misses), the registry cache built.
        small = _git_project(
            corpus.root
            / "opentelemetry-instrumentation-requests-0.66b1"
            / "opentelemetry_instrumentation_requests-0.66b1",
            work / "small-project",
        )
        large = _git_project(next(django.glob("django-*")), work / "django-project")
        shutil.copy(small / ONE_FILE, large / "django" / "otel_requests.py")
        one_commands = [Command("python -c pass", [sys.executable, "-c", "pass"], cwd=small)]
        for project, relative, name in (
            (small, ONE_FILE, "small project"),
            (large, "django/otel_requests.py", "Django-sized project"),
        ):
            target = project / relative
            one_commands.append(
                Command(
                    f"otel-lint one file, {name}",
                    [OTEL_LINT, "check", relative],
                    env=base_env,
                    cwd=project,
                    before=_edit_one_file(target, target.read_bytes()),
                )
            )
        one_commands.append(
            Command(
                "ast-grep scan one file",
                [AST_GREP, "scan", "--json=compact", "-c", str(config), ONE_FILE],
                cwd=small,
            )
        )
        print(f"one file: {cheap_rounds} rounds", flush=True)
        series = measure.interleaved(one_commands, cheap_rounds, label="one file")
        python_floor = series["python -c pass"]
        for name in (
            "otel-lint one file, small project",
            "otel-lint one file, Django-sized project",
        ):
            seconds = series[name].median
            rows.append(
                Row(
                    name,
                    f"{seconds:.3f} s",
                    f"python -c pass: {python_floor.median:.3f} s; ast-grep scan: "
                    f"{series['ast-grep scan one file'].median:.3f} s",
                    f"{seconds / python_floor.median:.1f}x python",
                    "<= 0.3 s",
                    _verdict(seconds <= 0.3),
                )
            )
        imports, _ = _importtime(cheap_rounds, env)
        rows.append(
            Row(
                "import otel_lint.cli + runner (-X importtime)",
                f"{imports:.3f} s",
                f"python -c pass: {python_floor.median:.3f} s",
                "-",
                "(part of the 0.3 s)",
                "-",
            )
        )

        peak_tree = cold_series.tree_rss_mib or 0.0
        largest = cold_series.max_rss_mib or 0.0
        reference_peak = cold_reference.tree_rss_mib or 0.0
        rows.append(
            Row(
                "peak memory, cold run (sum over the process tree)",
                f"{peak_tree:.0f} MiB",
                f"ast-grep scan: {reference_peak:.0f} MiB; "
                f"largest single otel-lint process: {largest:.0f} MiB",
                f"{peak_tree / reference_peak:.1f}x" if reference_peak else "-",
                "<= 300 MB",
                _verdict(0 < peak_tree * 1.048576 <= 300),
            )
        )

        # The plugin.
        folders = plugin_suite.write_suite(work / "suite", tests)
        pytest = [sys.executable, "-m", "pytest", *PYTEST_OPTIONS]
        no_plugin = ["-p", "no:otel_testing"]
        plugin_commands = [
            Command("(a) telemetry fixture", pytest, cwd=folders["fixture"], ok_codes=(0,)),
            Command(
                "(b) TestBase-style fixture",
                [*pytest, *no_plugin],
                cwd=folders["testbase"],
                ok_codes=(0,),
            ),
            Command(
                "(c) no plugin, no fixture",
                [*pytest, *no_plugin],
                cwd=folders["bare"],
                ok_codes=(0,),
            ),
            Command("(d) plugin loaded, no fixture", pytest, cwd=folders["bare"], ok_codes=(0,)),
        ]
        print(f"plugin: {tests} tests, {rounds} rounds", flush=True)
        series = measure.interleaved(plugin_commands, rounds, label="plugin")
        a, b = series["(a) telemetry fixture"], series["(b) TestBase-style fixture"]
        c, d = series["(c) no plugin, no fixture"], series["(d) plugin loaded, no fixture"]
        rows.append(
            Row(
                f"plugin: {tests} tests with `telemetry` (a)",
                _median_s(a),
                f"TestBase-style (b): {_median_s(b)}",
                f"{a.median / b.median:.2f}x",
                "<= 1.0x",
                _verdict(a.median <= b.median),
            )
        )
        rows.append(
            Row(
                "plugin loaded, tests without the fixture (d)",
                _median_s(d),
                f"plugin not loaded (c): {_median_s(c)}",
                f"{d.median / c.median:.3f}x",
                "<= 1.03x",
                _verdict(d.median <= 1.03 * c.median),
            )
        )
        per_test = (d.median - c.median) / tests * 1e3
        notes.append(
            f"plugin loaded, no fixture: {per_test:+.2f} ms per test over not loaded; "
            f"(a) {(a.median - c.median) / tests * 1e3:+.2f} ms, "
            f"(b) {(b.median - c.median) / tests * 1e3:+.2f} ms per test over (c)"
        )
        notes.append(
            f"cold run spread (min-max): otel-lint {cold_series.spread()} s, "
            f"ast-grep {cold_reference.spread()} s"
        )

    print()
    print(f"machine: {machine}")
    print(f"corpus: {what}")
    print(f"load average at end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print()
    _print_table(rows)
    for note in notes:
        print(f"note: {note}")
    return 0


def _print_table(rows: list[Row]) -> None:
    header = Row("measure", "otel-lint", "reference (same run)", "ratio", "target", "holds")
    table = [header, *rows]
    widths = [max(len(getattr(r, f)) for r in table) for f in Row.__dataclass_fields__]

    def line(row: Row) -> str:
        fields = zip(Row.__dataclass_fields__, widths, strict=True)
        cells = [getattr(row, name).ljust(width) for name, width in fields]
        return "| " + " | ".join(cells) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


if __name__ == "__main__":
    sys.exit(main())
