"""The per-file results cache: same answers warm as cold, and never an error when damaged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def test_rule_set_digest_is_the_same_in_every_process() -> None:
    """The cache key must not depend on hash randomisation, or warm runs never hit."""
    import os
    import subprocess
    import sys

    script = "from otel_lint.rule_model import load_rules, rules_version; print(rules_version(load_rules()))"
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
