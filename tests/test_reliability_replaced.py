"""A file replaced while it is checked, or before its findings are shown, never gets another
file's findings under its lines: it is checked again, or its lines are not shown."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import threading
import time
from pathlib import Path

import pytest

from otel_lint.cli import _show
from otel_lint.engine.workers import _load_once
from otel_lint.runner import RunOptions, run_lint

OLD = (
    "from opentelemetry import trace\n"
    "span = trace.get_current_span()\n"
    'span.set_attribute("http.method", "GET")\n'
)
NEW = 'span.set_attribute("http.my_flag", 1)\nprint("the new file")\n'


def _shown(outcome: object, output_format: str = "text") -> tuple[str, str]:
    arguments = argparse.Namespace(output_format=output_format, statistics=False)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        _show(arguments, outcome)  # type: ignore[arg-type]
    return out.getvalue(), err.getvalue()


def test_a_file_replaced_before_its_findings_are_shown_shows_none_of_its_new_lines(
    tmp_path: Path,
) -> None:
    module = tmp_path / "app.py"
    module.write_text(OLD)
    outcome = run_lint(RunOptions(paths=(module,), use_cache=False))
    assert [f.code for f in outcome.findings] == ["OTL301"]
    replacement = tmp_path / "new.py"
    replacement.write_text('x = 1\ny = 2\nprint("a line the finding is not about")\n')
    os.replace(replacement, module)
    out, err = _shown(outcome)
    assert "OTL301" in out
    assert "a line the finding is not about" not in out
    assert "changed after it was checked; its lines are not shown" in err


def test_an_unchanged_file_shows_its_lines(tmp_path: Path) -> None:
    module = tmp_path / "app.py"
    module.write_text(OLD)
    outcome = run_lint(RunOptions(paths=(module,), use_cache=False))
    out, err = _shown(outcome)
    assert 'span.set_attribute("http.method", "GET")' in out
    assert err == ""


@pytest.mark.parametrize("use_cache", [False, True])
def test_a_file_replaced_while_it_is_checked_is_checked_again(
    tmp_path: Path, use_cache: bool
) -> None:
    _load_once()  # the rules and registry in this process: the file is read at once
    module = tmp_path / "app.py"
    # Long enough to take a while to check, so the replacement lands after it was read.
    module.write_text(OLD + "x = 1\n" * 100_000)
    replacement = tmp_path / "new.py"
    replacement.write_text(NEW)

    def replace_soon() -> None:
        time.sleep(0.3)
        os.replace(replacement, module)

    started = time.monotonic()
    replacer = threading.Thread(target=replace_soon)
    replacer.start()
    outcome = run_lint(RunOptions(paths=(module,), jobs=1, use_cache=use_cache))
    took = time.monotonic() - started
    replacer.join()
    assert took > 0.3, "checked before the file was replaced: this tests nothing"
    # The new file's own findings, on its own lines, not the old file's 6,001.
    assert module.read_text() == NEW
    assert [(f.code, f.line) for f in outcome.findings] == [("OTL304", 1)]
    assert outcome.source_digests
