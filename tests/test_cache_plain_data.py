"""Nothing read from the cache can run code: entries are JSON checked against their types."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from otel_lint.cache.plain import from_plain, to_plain
from otel_lint.cache.rules import engine_rules
from otel_lint.cache.store import read_value, write_value
from otel_lint.cli import main
from otel_lint.engine import workers
from otel_lint.engine.results import FileResult
from otel_lint.engine.suppressions import Noqa
from otel_lint.findings import Finding, Fix, Severity


class _Planted:
    """Unpickling this creates ``marker``: the proof that a cache entry ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "x"))


def _finding(**changes: object) -> Finding:
    fields: dict[str, object] = {
        "code": "OTL301",
        "name": "deprecated-attribute",
        "message": "`http.method` is deprecated",
        "severity": Severity.WARNING,
        "path": "app.py",
        "line": 3,
        "column": 20,
        "end_line": 3,
        "end_column": 33,
        "fingerprint": "abc",
        "fix": Fix('"http.request.method"', 40, 53, 3, 20, 3, 33),
    }
    fields.update(changes)
    return Finding(**fields)  # type: ignore[arg-type]


def test_a_file_result_survives_the_round_trip() -> None:
    noqa = Noqa(line=4, column=10, codes=("OTL201",))
    result = FileResult(
        "app.py",
        findings=(_finding(),),
        suppressed=((_finding(line=4, fix=None), noqa), (_finding(line=5), None)),
        noqa=(noqa,),
        facts=frozenset({"log-bridge", "instrumented:requests"}),
    )
    assert from_plain(FileResult, to_plain(FileResult, result)) == result


@pytest.mark.parametrize(
    "damage",
    [
        lambda plain: plain | {"label": 7},
        lambda plain: plain | {"facts": "log-bridge"},
        lambda plain: {k: v for k, v in plain.items() if k != "noqa"},
        lambda plain: plain | {"extra": 1},
        lambda plain: plain | {"findings": [plain["findings"][0] | {"severity": "fatal"}]},
        lambda plain: plain | {"findings": [plain["findings"][0] | {"line": True}]},
        lambda plain: plain | {"findings": [plain["findings"][0] | {"fix": [1, 2]}]},
    ],
)
def test_an_entry_of_another_shape_is_refused(damage: object) -> None:
    plain = to_plain(FileResult, FileResult("app.py", findings=(_finding(),)))
    with pytest.raises(ValueError):
        from_plain(FileResult, damage(plain))  # type: ignore[operator]


def test_the_store_reads_a_planted_pickle_as_a_miss(tmp_path: Path) -> None:
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(_Planted(control))).close()  # the payload is live: it runs code
    assert control.exists()
    entry, marker = tmp_path / "entry", tmp_path / "ran"
    entry.write_bytes(pickle.dumps(_Planted(marker)))
    assert read_value(entry, FileResult) is None
    assert not marker.exists()
    write_value(entry, FileResult, FileResult("app.py"))
    assert read_value(entry, FileResult) == FileResult("app.py")


def test_no_kind_of_cache_entry_runs_code_when_a_run_reads_it(
    tmp_path: Path,
    _isolated_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Results, rules, configuration and context facts: each entry replaced by a pickle whose
    loading would create a file; the next run gives the same findings and creates nothing."""
    # Remembered in this process by an earlier test: clear them, so this run stores them here.
    engine_rules.cache_clear()
    workers._rules_by_code.cache_clear()
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.otel-lint]\nnamespaces = ["shop"]\n')
    (project / "app.py").write_text(
        "import logging\nfrom opentelemetry import trace\n\nlogging.basicConfig()\n"
        'trace.get_current_span().set_attribute("http.method", "GET")\n'
    )
    (project / "other.py").write_text("import logging\n")
    for path in project.iterdir():  # facts of files written this second are not remembered
        os.utime(path, (1_700_000_000, 1_700_000_000))
    monkeypatch.chdir(project)
    assert main(["check", "app.py"]) == 1
    expected = capsys.readouterr().out
    entries = [path for path in _isolated_cache.rglob("*") if path.is_file()]
    kinds = {path.relative_to(_isolated_cache).parts[0] for path in entries}
    assert {"results", "rules", "config", "context"} <= kinds
    marker = tmp_path / "ran"
    for path in entries:
        if not path.name.startswith(("semconv-", "last-pruned")):
            path.write_bytes(pickle.dumps(_Planted(marker)))
    assert main(["check", "app.py"]) == 1
    assert capsys.readouterr().out == expected
    assert not marker.exists()
