"""Output that holds whatever files hold: forged lines, locales, closed pipes and huge lines.

Each test runs what a user or CI runs: ``main`` for the formats, a real ``otel-lint`` process
where the terminal, the locale or the pipe matter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_output_formats import read_machine_output

from otel_lint.cli import main
from otel_lint.output.formats import MACHINE_FORMATS

OTEL_LINT = shutil.which("otel-lint") or str(Path(sys.executable).with_name("otel-lint"))
HEADER = "from opentelemetry import trace\nspan = trace.get_current_span()\n"
#: An attribute key that OTL302 quotes in its message, holding a newline and a workflow command.
FORGED_KEY = 'span.set_attribute("""x\n::error file=evil.py,line=1::pwned""", 1)\n'


def _lines_not_ours(output: str) -> list[str]:
    """Every line of text output that otel-lint did not start itself (a path, a gutter, the
    summary)."""
    ours = ("evil", "src/", " ", "Found ", "All checks", "[*]")
    return [
        line
        for line in output.splitlines()
        if line and not line.startswith(ours) and not line[0].isdigit()
    ]


def test_names_and_keys_cannot_forge_terminal_or_ci_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "keys.py").write_text(HEADER + FORGED_KEY)
    named = "evil\x1b]0;owned\x07\x1b[2J\n::error file=evil.py,line=1::forged.py"
    (tmp_path / named).write_text(HEADER + 'span.set_attribute("userId", 1)\n')

    for output_format in ("text", "github"):
        assert main(["check", "--no-cache", "--output-format", output_format, "."]) == 1
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out
        assert not [line for line in out.splitlines() if line.startswith("::error file=evil")]
        assert "pwned" in out and "forged.py" in out  # shown, escaped, not dropped
        if output_format == "text":
            assert _lines_not_ours(out) == []
            assert "evil\\x1b]0;owned\\x07\\x1b[2J\\x0a::error" in out
            assert "x\\x0a::error file=evil.py,line=1::pwned" in out


def test_a_source_line_with_escapes_is_shown_escaped_with_the_caret_under_the_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(HEADER + 'x = "\x1b[2J"; span.set_attribute("userId", 1)\n')
    assert main(["check", "--no-cache", "--select", "OTL302", "a.py"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out
    source, caret = [line for line in out.splitlines() if line.startswith(("3 |", "  |   "))][:2]
    assert source[caret.index("^") :].startswith('"userId"')


def test_a_huge_single_line_file_shows_a_short_excerpt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    filler = "x = 1; " * 150_000  # about 1 MB on one line
    (tmp_path / "min.py").write_text(
        "from opentelemetry import trace; span = trace.get_current_span(); "
        + filler
        + 'span.set_attribute("userId", 1); '
        + filler
        + "\n"
    )
    assert main(["check", "--no-cache", "--select", "OTL302", "min.py"]) == 1
    out = capsys.readouterr().out
    assert len(out) < 2_000
    source, caret = [line for line in out.splitlines() if line.startswith(("1 |", "  |   "))][:2]
    assert source[caret.index("^") :].startswith('"userId"')
    assert source.endswith("...")


@pytest.mark.parametrize("output_format", sorted(MACHINE_FORMATS))
def test_machine_formats_are_utf8_whatever_the_locale(tmp_path: Path, output_format: str) -> None:
    (tmp_path / "a.py").write_text(HEADER + 'span.set_attribute("café.naïve", 1)\n')
    environment = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    environment.pop("PYTHONIOENCODING", None)
    done = subprocess.run(
        [OTEL_LINT, "check", "--no-cache", "--output-format", output_format, "a.py"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    read_machine_output(output_format, done.stdout)  # JSON, JSON Lines or XML, all valid
    assert "café.naïve" in done.stdout.decode("utf-8")


def test_a_closed_pipe_keeps_the_exit_code_of_the_findings(tmp_path: Path) -> None:
    # Enough findings that the output outgrows the pipe's buffer before `head` closes it.
    keys = "".join(f'span.set_attribute("userId{n}", 1)\n' for n in range(800))
    (tmp_path / "many.py").write_text(HEADER + keys)
    script = f'set -o pipefail; "{OTEL_LINT}" check --no-cache many.py | head -1'
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.startswith("many.py:")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


@pytest.mark.parametrize("state", ["missing", "empty"])
def test_clean_on_a_missing_or_empty_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], state: str
) -> None:
    cache = tmp_path / "cache"
    if state == "empty":
        cache.mkdir()
    monkeypatch.setenv("OTEL_LINT_CACHE_DIR", str(cache))
    assert main(["clean"]) == 0
    assert "Removed 0 cache files" in capsys.readouterr().out
