"""The per-file results cache: same answers warm as cold, and never an error when damaged."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from otel_lint.cache.keys import environment_digest, environment_key, telemetry_distributions
from otel_lint.runner import RunOptions, run_lint

BAD = 'span.set_attribute("http.method", "GET")\n'


def lint(root: Path, **options: object) -> list[tuple[str, int, str]]:
    outcome = run_lint(RunOptions(paths=(root,), **options))  # type: ignore[arg-type]
    return [(f.path, f.line, f.code) for f in outcome.findings]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.otel-lint]\n")
    for number in range(5):
        (root / f"m{number}.py").write_text("\n" * number + BAD)
    return root


def entries(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / "results").rglob("*") if p.is_file())


def test_warm_run_gives_the_cold_answer_and_reuses_entries(
    tree: Path, _isolated_cache: Path
) -> None:
    cold = lint(tree)
    written = entries(_isolated_cache)
    assert len(written) == 5
    stamps = [p.stat().st_mtime_ns for p in written]
    assert lint(tree) == cold
    assert [p.stat().st_mtime_ns for p in entries(_isolated_cache)] == stamps


def test_a_changed_file_is_linted_again(tree: Path, _isolated_cache: Path) -> None:
    lint(tree)
    (tree / "m0.py").write_text("x = 1\n")
    assert [f for f in lint(tree) if f[0].endswith("m0.py")] == []


def test_damaged_entries_are_ignored_and_rebuilt(tree: Path, _isolated_cache: Path) -> None:
    cold = lint(tree)
    for number, entry in enumerate(entries(_isolated_cache)):
        entry.write_bytes(b"" if number % 2 else b"\x80\x04garbage")
    assert lint(tree) == cold
    assert lint(tree) == cold


def test_no_cache_writes_nothing(tree: Path, _isolated_cache: Path) -> None:
    assert lint(tree, use_cache=False)
    assert not (_isolated_cache / "results").exists()


def test_settings_are_part_of_the_key(tree: Path, _isolated_cache: Path) -> None:
    assert lint(tree)
    assert lint(tree, ignore=("OTL301",)) == []
    (tree / "pyproject.toml").write_text('[tool.otel-lint]\nnamespaces = ["acme"]\n')
    assert len(lint(tree)) == 5
    assert json.dumps(lint(tree))  # still plain data


def test_environment_key_is_the_same_in_every_process() -> None:
    """The cache key must not depend on hash randomisation, or warm runs never hit."""
    import os
    import subprocess
    import sys

    script = "from otel_lint.cache.keys import environment_key; print(environment_key())"
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("0", "1", "2", "3", "4", "5")
    }
    assert len(digests) == 1, digests


def test_environment_digest_changes_with_any_source_or_rule_byte(tmp_path: Path) -> None:
    package, rules = tmp_path / "otel_lint", tmp_path / "rules"
    (package / "checks").mkdir(parents=True)
    (rules / "utils").mkdir(parents=True)
    files = {
        package / "engine.py": "x = 1\n",
        package / "checks" / "a.py": "y = 2\n",
        rules / "OTL101.yaml": "code: OTL101\n",
        rules / "utils" / "u.yaml": "id: u\n",
    }
    for path, text in files.items():
        path.write_text(text)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "engine.cpython-311.pyc").write_bytes(b"compiled")

    def key(registry: str = "1.0:/site") -> str:
        return environment_digest(package, rules, registry)

    before = key()
    assert key() == before
    (package / "__pycache__" / "engine.cpython-311.pyc").write_bytes(b"recompiled")
    (package / "notes.txt").write_text("not source")
    assert key() == before
    assert key("1.1:/site") != before
    changed = set()
    for path, text in files.items():
        path.write_text(text + "# edited\n")
        changed.add(key())
        path.write_text(text)
    assert before not in changed and len(changed) == len(files)
    (rules / "utils" / "u.yaml").rename(rules / "utils" / "v.yaml")
    assert key() != before


# --- facts from the files a run does not check -------------------------------------------------

CONFIGURES_LOGGING = "import logging\nlogging.basicConfig(level=logging.INFO)\n"
USES_OTEL = "from opentelemetry import trace\n"
BRIDGES_LOGS = (
    "import logging\nfrom opentelemetry.sdk._logs import LoggingHandler\n"
    "logging.getLogger().addHandler(LoggingHandler())\n"
)


def _write_old(path: Path, text: str, age_s: float) -> None:
    """Write ``text`` with a modification time ``age_s`` seconds ago (settled for the cache)."""
    import os
    import time

    path.write_text(text)
    then = time.time() - age_s
    os.utime(path, (then, then))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "service"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.otel-lint]\n")
    _write_old(root / "app.py", CONFIGURES_LOGGING, 60)
    _write_old(root / "telemetry.py", USES_OTEL, 60)
    return root


def remembered(cache: Path) -> dict[tuple[str, str], object]:
    from otel_lint.cache.store import read_value
    from otel_lint.project.context import Remembered

    stored = list((cache / "context").glob("*.json"))
    if not stored:
        return {}
    (only,) = stored
    value = read_value(only, Remembered)
    assert isinstance(value, dict)
    return value


def test_facts_of_unchecked_files_are_remembered_and_follow_their_edits(
    project: Path, _isolated_cache: Path
) -> None:
    # Only app.py is checked (as pre-commit passes a changed file); OTL101 depends on what
    # telemetry.py shows about the project.
    assert lint(project / "app.py") == [(str(project / "app.py"), 2, "OTL101")]
    assert ("_python_facts", str(project / "telemetry.py")) in remembered(_isolated_cache)
    _write_old(project / "telemetry.py", BRIDGES_LOGS, 30)  # a settled edit: a new stamp
    assert lint(project / "app.py") == []
    _write_old(project / "telemetry.py", USES_OTEL, 10)
    assert lint(project / "app.py") == [(str(project / "app.py"), 2, "OTL101")]


def test_a_file_changed_just_now_is_read_again_next_time(
    project: Path, _isolated_cache: Path
) -> None:
    (project / "telemetry.py").write_text(BRIDGES_LOGS)  # mtime: now
    assert lint(project / "app.py") == []
    assert ("_python_facts", str(project / "telemetry.py")) not in remembered(_isolated_cache)
    # app.py was checked, not read as context.
    assert ("_python_facts", str(project / "app.py")) not in remembered(_isolated_cache)


def test_a_damaged_context_cache_is_read_around(project: Path, _isolated_cache: Path) -> None:
    import json

    cold = lint(project / "app.py")
    (stored,) = (_isolated_cache / "context").glob("*.json")
    telemetry = ["_python_facts", str(project / "telemetry.py")]
    for damage in (
        b"\x80\x04garbage",
        json.dumps(["not", "a", "dict"]).encode(),
        json.dumps([[telemetry, ["stamp", None]]]).encode(),
        json.dumps([[telemetry, [[1, 2, 3], ["log-bridge"]]]]).encode(),
        json.dumps([[telemetry, [[1, 2, 3, True], ["log-bridge"]]]]).encode(),
    ):
        stored.write_bytes(damage)
        assert lint(project / "app.py") == cold
    assert lint(project / "app.py", use_cache=False) == cold


def test_no_cache_remembers_no_context(project: Path, _isolated_cache: Path) -> None:
    assert lint(project / "app.py", use_cache=False)
    assert not (_isolated_cache / "context").exists()


def test_other_files_are_read_only_when_a_finding_depends_on_them(
    project: Path, _isolated_cache: Path
) -> None:
    # A finding without `requires` (OTL302: a malformed key) stands whatever the project shows.
    _write_old(project / "spans.py", 'span.set_attribute("Order ID", 7)\n', 60)
    assert lint(project / "spans.py") == [(str(project / "spans.py"), 1, "OTL302")]
    assert remembered(_isolated_cache) == {}
    assert lint(project / "app.py") == [(str(project / "app.py"), 2, "OTL101")]
    assert ("_python_facts", str(project / "spans.py")) in remembered(_isolated_cache)


def test_a_file_read_both_as_python_and_as_deployment_file_keeps_both_facts(
    tmp_path: Path, _isolated_cache: Path
) -> None:
    # `Dockerfile_build.py` is a Python file and, by its name, a deployment file: its text says
    # the requests instrumentation is installed, which its Python facts alone do not.
    root = tmp_path / "service"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.otel-lint]\n")
    _write_old(
        root / "Dockerfile_build.py",
        'PACKAGES = ["opentelemetry-instrumentation-requests"]\n',
        60,
    )
    _write_old(
        root / "users.py",
        "import requests\nfrom opentelemetry import trace\n\ntracer = trace.get_tracer(__name__)\n"
        "\n\ndef fetch_user(url):\n"
        '    with tracer.start_as_current_span("fetch_user"):\n'
        "        return requests.get(url, timeout=5)\n",
        60,
    )
    cold = lint(root / "users.py", use_cache=False)
    assert [code for _, _, code in cold] == ["OTL401"]
    assert lint(root / "users.py") == cold  # fills the cache
    assert lint(root / "users.py") == cold  # answered from it


def test_a_change_to_an_imported_constants_module_relints_its_dependants(
    tmp_path: Path, _isolated_cache: Path
) -> None:
    """A handler's key lives in another module: editing that module (and only checking the
    handler) must not serve the handler's old result from the cache."""
    root = tmp_path / "project"
    (root / "shop").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.otel-lint]\n")
    (root / "shop" / "__init__.py").write_text("")
    keys = root / "shop" / "keys.py"
    keys.write_text('DB_KEY = "db.statement"\n')
    handler = root / "shop" / "handler.py"
    handler.write_text(
        "from opentelemetry import trace\n"
        "from .keys import DB_KEY\n\n"
        "def run(span, sql):\n"
        "    span.set_attribute(DB_KEY, sql)\n"
    )
    cold = lint(handler, select=("OTL301",))
    assert [(Path(path).name, line, code) for path, line, code in cold] == [
        ("handler.py", 5, "OTL301")
    ]
    assert lint(handler, select=("OTL301",)) == cold  # warm: the entry holds
    keys.write_text('DB_KEY = "db.query.text"\n')
    assert lint(handler, select=("OTL301",)) == []
    # Back to the deprecated key: flagged again, whatever the cache remembers.
    keys.write_text('DB_KEY = "db.statement"\n')
    assert lint(handler, select=("OTL301",)) == cold


def test_installing_an_opentelemetry_distribution_is_a_new_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The deployment rules judge exporter and sampler names by the installed entry points: a
    # vendor's exporter installed since the last run must not leave its OTL507 cached.
    site = tmp_path / "site-packages"
    (site / "requests-2.32.0.dist-info").mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [*sys.path, str(site), str(tmp_path / "gone")])
    assert telemetry_distributions([str(site)]) == []
    before = environment_key.__wrapped__()
    (site / "acme_opentelemetry_exporter-1.0.dist-info").mkdir()
    assert telemetry_distributions([str(site)]) == [
        f"{site}/acme_opentelemetry_exporter-1.0.dist-info"
    ]
    assert environment_key.__wrapped__() != before
