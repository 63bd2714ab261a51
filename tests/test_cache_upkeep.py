"""The cache directory is pruned of entries nobody uses, and `otel-lint clean` empties it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from otel_lint.cache import store
from otel_lint.cache import upkeep as cache_upkeep
from otel_lint.cli import main

BAD = 'span.set_attribute("http.method", "GET")\n'


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _write(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _check(project: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> int:
    code = main(["check", *argv, str(project)])
    capsys.readouterr()
    return code


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    _write(folder / "pyproject.toml", b"[tool.otel-lint]\n")
    _write(folder / "service.py", BAD.encode())
    return folder


def _hex(seed: int) -> str:
    return f"{seed:032x}"


def test_prune_removes_unused_entries_and_old_temporaries_only(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old_result = _write(cache / "results" / "00" / _hex(1))
    new_result = _write(cache / "results" / "00" / _hex(2))
    old_context = _write(cache / "context" / f"{_hex(3)}.pickle")
    old_registry = _write(cache / "semconv-1-0.66b1-dd96923b202cda32.json")
    killed = _write(cache / "results" / "00" / f".{_hex(4)}.k1lled_x.tmp")
    writing = _write(cache / "rules" / f".{_hex(5)}.pickle.wr1ting_.tmp")  # a concurrent write
    for path in (old_result, old_context, old_registry):
        _age(path, cache_upkeep.MAX_AGE + 60)
    _age(killed, cache_upkeep.TEMPORARY_AGE + 60)
    _age(writing, 60)

    assert cache_upkeep.prune(cache) == 4
    assert {p for p in (old_result, old_context, old_registry, killed) if p.exists()} == set()
    assert new_result.exists() and writing.exists()


def _not_ours(folder: Path) -> list[Path]:
    """Files a user keeps where OTEL_LINT_CACHE_DIR happens to point, in folders named as ours."""
    return [
        _write(folder / "notes.txt"),
        _write(folder / "semconv-notes.md"),
        _write(folder / "semconv-1-draft.json"),
        _write(folder / "config" / "app.yaml"),
        _write(folder / "rules" / "my.yaml"),
        _write(folder / "rules" / f"{_hex(6)}.yaml"),
        _write(folder / "context" / "deep" / f"{_hex(7)}.pickle"),
        _write(folder / "results" / "00" / "readme.txt"),
        _write(folder / "results" / "notes" / _hex(8)),
        _write(folder / "results" / _hex(9)),
        _write(folder / "results" / "00" / ".notes.txt.swp1.tmp"),
    ]


def test_prune_and_clean_leave_files_otel_lint_did_not_write(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    theirs = _not_ours(folder)
    for path in theirs:
        _age(path, cache_upkeep.MAX_AGE + 60)
    ours = _write(folder / "results" / "00" / _hex(1))
    _age(ours, cache_upkeep.MAX_AGE + 60)
    assert cache_upkeep.prune(folder) == 1
    assert cache_upkeep.clean(folder) == 0
    assert [p for p in theirs if not p.exists()] == []


def test_reading_an_entry_keeps_it(tmp_path: Path) -> None:
    entry = _write(tmp_path / "results" / "00" / _hex(1), b"data")
    _age(entry, cache_upkeep.MAX_AGE + 60)
    assert store.read_entry(entry) == b"data"
    assert cache_upkeep.prune(tmp_path) == 0
    assert entry.exists()
    # Read again within the day, the time is left alone: no write per warm run.
    _age(entry, 3600)
    before = entry.stat().st_mtime
    store.read_entry(entry)
    assert entry.stat().st_mtime == before


def test_prune_runs_at_most_once_a_day(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _write(cache / "results" / "00" / _hex(1))
    _age(first, cache_upkeep.MAX_AGE + 60)
    now = time.time()
    assert cache_upkeep.prune_when_due(cache, now) == 1
    second = _write(cache / "results" / "00" / _hex(2))
    _age(second, cache_upkeep.MAX_AGE + 60)
    assert cache_upkeep.prune_when_due(cache, now + 3600) == 0
    assert second.exists()
    assert cache_upkeep.prune_when_due(cache, now + store.DAY + 60) == 1
    assert not second.exists()


def test_prune_leaves_a_missing_or_unwritable_cache_alone(tmp_path: Path) -> None:
    assert cache_upkeep.prune_when_due(tmp_path / "none", time.time()) == 0
    assert not (tmp_path / "none").exists()
    blocked = _write(tmp_path / "cache")  # a file where the directory should be
    assert cache_upkeep.prune_when_due(blocked, time.time()) == 0


def test_a_check_run_prunes_stale_entries_and_keeps_its_own(
    project: Path, _isolated_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _check(project, capsys) == 1
    written = {p for p in _isolated_cache.rglob("*") if p.is_file()}
    assert any(p.parent.parent.name == "results" for p in written)
    stale = _write(_isolated_cache / "results" / "ff" / f"ff{_hex(1)[2:]}")
    _age(stale, cache_upkeep.MAX_AGE + 60)
    _age(_isolated_cache / cache_upkeep.MARKER, store.DAY + 60)
    assert _check(project, capsys) == 1
    assert not stale.exists()
    assert written <= {p for p in _isolated_cache.rglob("*") if p.is_file()}


def test_no_cache_runs_prune_too(
    project: Path, _isolated_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # They still write the registry and the validated rules, so they keep the directory too.
    stale = _write(_isolated_cache / "results" / "ff" / f"ff{_hex(1)[2:]}")
    _age(stale, cache_upkeep.MAX_AGE + 60)
    assert _check(project, capsys, "--no-cache") == 1
    assert not stale.exists()


def test_a_marker_from_the_future_does_not_stop_pruning(tmp_path: Path) -> None:
    # A clock set back, or a cache restored from another machine.
    stale = _write(tmp_path / "results" / "00" / _hex(1))
    _age(stale, cache_upkeep.MAX_AGE + 60)
    _age(_write(tmp_path / cache_upkeep.MARKER, b""), -30 * store.DAY)
    assert cache_upkeep.prune_when_due(tmp_path) == 1


def test_clean_removes_what_otel_lint_cached_and_nothing_else(
    project: Path, _isolated_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _check(project, capsys) == 1
    assert list((_isolated_cache / "results").rglob("*/*"))
    assert main(["clean"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Removed ") and str(_isolated_cache) in out
    assert not _isolated_cache.exists()
    # With a file of the user's own in the directory, that file and the directory stay.
    assert _check(project, capsys) == 1
    mine = _write(_isolated_cache / "mine.txt")
    assert main(["clean"]) == 0
    assert [p for p in _isolated_cache.rglob("*")] == [mine]
    # And the next run works from an empty cache.
    assert _check(project, capsys) == 1
