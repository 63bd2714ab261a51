"""The habits ruff users bring: --statistics, --fail-on, standard input with --stdin-filename,
--diff, --show-fixes and --add-noqa, each behaving as ruff's does where the issue is silent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from otel_lint.cli import main
from otel_lint.engine.suppressions import find_suppressions
from otel_lint.output.noqa import add_noqa

BAD = 'span.set_attribute("http.method", "GET")\n'
GOOD = 'span.set_attribute("http.request.method", "GET")\n'
MALFORMED = 'span.set_attribute("cartSize", 1)\n'


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def otel_lint(cwd: Path, *argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """A real ``otel-lint`` process, with ``stdin`` as its standard input."""
    return subprocess.run(
        [sys.executable, "-m", "otel_lint", *argv],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.otel-lint]\nnamespaces = ["acme"]\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- --statistics ---------------------------------------------------------------------------


def test_statistics_alone_prints_the_table_and_no_finding(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.py").write_text(BAD * 3 + MALFORMED)
    code, out, _ = run(capsys, "check", "--statistics", "a.py")
    assert code == 1
    assert out.splitlines() == [
        "3\tOTL301\t[*] deprecated-attribute",
        "1\tOTL302\t[ ] malformed-attribute-key",
        "Found 4 findings.",
        "[*] fixable with `otel-lint check --fix`",
    ]


def test_statistics_without_a_fixable_rule_has_no_fix_column(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.py").write_text(MALFORMED * 12)
    _, out, _ = run(capsys, "check", "--statistics", "a.py")
    assert out.splitlines() == ["12\tOTL302\tmalformed-attribute-key", "Found 12 findings."]
    (project / "a.py").write_text(GOOD)
    assert run(capsys, "check", "--statistics", "a.py")[:2] == (0, "All checks passed!\n")


def test_statistics_as_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "a.py").write_text(BAD * 2 + MALFORMED)
    _, out, _ = run(capsys, "check", "--statistics", "--output-format", "json", "a.py")
    assert json.loads(out) == [
        {
            "code": "OTL301",
            "name": "deprecated-attribute",
            "count": 2,
            "fixable": True,
            "fixable_count": 2,
        },
        {
            "code": "OTL302",
            "name": "malformed-attribute-key",
            "count": 1,
            "fixable": False,
            "fixable_count": 0,
        },
    ]


# --- --fail-on ------------------------------------------------------------------------------


def test_fail_on_fails_only_at_or_above_the_level(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.py").write_text(BAD)  # OTL301 is a warning
    assert run(capsys, "check", "--fail-on", "error", "a.py")[0] == 0
    assert run(capsys, "check", "--fail-on", "warning", "a.py")[0] == 1
    assert run(capsys, "check", "--fail-on", "info", "a.py")[0] == 1
    out = run(capsys, "check", "--fail-on", "error", "a.py")[1]
    assert "OTL301" in out, "findings below the level are still shown"
    # A severity raised in the configuration counts at its new level.
    (project / "pyproject.toml").write_text('[tool.otel-lint.severity]\nOTL301 = "error"\n')
    assert run(capsys, "check", "--fail-on", "error", "a.py")[0] == 1
    with pytest.raises(SystemExit) as exited:
        main(["check", "--fail-on", "fatal", "a.py"])
    assert exited.value.code == 2


# --- standard input -------------------------------------------------------------------------


def test_stdin_is_judged_as_the_named_path_with_its_configuration(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.otel-lint.per-file-ignores]\n"legacy/*.py" = ["OTL301"]\n'
    )
    judged = otel_lint(project, "check", "-", "--stdin-filename", "svc/app.py", stdin=BAD.encode())
    assert judged.returncode == 1, judged.stderr
    assert judged.stdout.decode().startswith("svc/app.py:1:20: OTL301")
    assert b'1 | span.set_attribute("http.method", "GET")' in judged.stdout
    ignored = otel_lint(
        project, "check", "--stdin-filename", "legacy/old.py", "-", stdin=BAD.encode()
    )
    assert (ignored.returncode, ignored.stdout) == (0, b"All checks passed!\n"), ignored.stderr
    # --stdin-filename alone reads standard input too, as in ruff.
    alone = otel_lint(project, "check", "--stdin-filename", "svc/app.py", stdin=GOOD.encode())
    assert alone.returncode == 0, alone.stderr
    assert not (project / "svc").exists()


def test_stdin_with_fix_prints_the_fixed_source_and_writes_nothing(project: Path) -> None:
    (project / "app.py").write_text(BAD + MALFORMED)
    source = (BAD + MALFORMED).replace("\n", "\r\n").encode()
    done = otel_lint(project, "check", "--fix", "--stdin-filename", "app.py", "-", stdin=source)
    assert done.stdout == (GOOD + MALFORMED).replace("\n", "\r\n").encode()
    assert done.returncode == 1  # OTL302 is left, and said on stderr
    assert b"app.py:2:20: OTL302" in done.stderr
    assert (project / "app.py").read_text() == BAD + MALFORMED
    clean = otel_lint(project, "check", "--fix", "-", stdin=GOOD.encode())
    assert (clean.returncode, clean.stdout) == (0, GOOD.encode())


def test_stdin_cannot_be_mixed_with_paths(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.py").write_text(GOOD)
    code, _, err = run(capsys, "check", "-", "a.py")
    assert code == 2
    assert "cannot be checked with other paths" in err


# --- --diff and --show-fixes ----------------------------------------------------------------


def test_diff_prints_the_fixes_and_changes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.py").write_text("x = 1\n" + BAD + MALFORMED)
    code, out, err = run(capsys, "check", "--diff", "a.py")
    assert code == 1
    assert out.splitlines()[:3] == ["--- a.py", "+++ a.py", "@@ -1,3 +1,3 @@"]
    assert '-span.set_attribute("http.method", "GET")' in out.splitlines()
    assert '+span.set_attribute("http.request.method", "GET")' in out.splitlines()
    assert "OTL302" not in out  # as ruff: the diff only, not the findings
    assert "Would fix 1 finding." in err
    assert (project / "a.py").read_text() == "x = 1\n" + BAD + MALFORMED
    assert run(capsys, "check", "--diff", "--exit-zero", "a.py")[0] == 0
    (project / "a.py").write_text(GOOD + MALFORMED)
    code, out, err = run(capsys, "check", "--diff", "a.py")
    assert (code, out) == (0, "")
    assert "No findings would be fixed." in err


def test_diff_applies_to_what_fix_writes(project: Path) -> None:
    text = "import os\n" + BAD + "y = 2\n" + BAD.replace("GET", "POST")
    (project / "a.py").write_text(text)
    diff = otel_lint(project, "check", "--diff", "a.py")
    assert diff.returncode == 1
    (project / "a.py.diff").write_bytes(diff.stdout)
    git = subprocess.run(
        ["git", "apply", "--check", "a.py.diff"], cwd=project, capture_output=True, check=False
    )
    assert git.returncode == 0, git.stderr
    subprocess.run(["git", "apply", "a.py.diff"], cwd=project, check=True)
    patched = (project / "a.py").read_text()
    (project / "a.py").write_text(text)
    assert otel_lint(project, "check", "--fix", "a.py").returncode == 0
    assert (project / "a.py").read_text() == patched


def test_show_fixes_lists_what_was_fixed_or_could_be(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.py").write_text(BAD * 2 + MALFORMED)
    _, out, _ = run(capsys, "check", "--show-fixes", "a.py")
    assert "2 findings fixable with `otel-lint check --fix`:\n- a.py:\n" in out
    assert "    2 x OTL301 (deprecated-attribute)" in out
    _, out, err = run(capsys, "check", "--show-fixes", "--output-format", "json", "a.py")
    assert json.loads(out)  # the list goes to stderr: the JSON stays valid
    assert "2 x OTL301 (deprecated-attribute)" in err
    code, out, _ = run(capsys, "check", "--fix", "--show-fixes", "a.py")
    assert code == 1
    assert "Fixed 2 findings:\n- a.py:\n    2 x OTL301 (deprecated-attribute)" in out
    _, out, _ = run(capsys, "check", "--fix", "--show-fixes", "a.py")
    assert "No findings were fixed." in out


# --- --add-noqa -----------------------------------------------------------------------------

NOQA_SOURCE = (
    "from opentelemetry import trace\n"
    "span = trace.get_current_span()\n"
    'span.set_attribute("http.method", "GET")\n'
    'span.set_attribute("http.method", "GET")  # noqa: E501\n'
    'span.set_attribute("""http.method""", """GET\n'
    '::error file=evil.py,line=1::not a comment""")\n'
    'x = "# noqa"; span.set_attribute("cartSize", 1)  # keep me\n'
    'span.set_attribute("cartSize", \\\n'
    "   1)\n"
)
NOQA_ADDED = (
    "from opentelemetry import trace\n"
    "span = trace.get_current_span()\n"
    'span.set_attribute("http.method", "GET")  # noqa: OTL301\n'
    'span.set_attribute("http.method", "GET")  # noqa: E501, OTL301\n'
    'span.set_attribute("""http.method""", """GET\n'
    '::error file=evil.py,line=1::not a comment""")  # noqa: OTL301\n'
    'x = "# noqa"; span.set_attribute("cartSize", 1)  # keep me  # noqa: OTL302\n'
    'span.set_attribute("cartSize", \\\n'
    "   1)  # noqa: OTL302\n"
)


def test_add_noqa_adds_merges_and_never_writes_into_a_string(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.py").write_text(NOQA_SOURCE)
    code, _, err = run(capsys, "check", "--add-noqa", "a.py")
    assert code == 0, err
    assert "Added 5 noqa directives." in err
    assert (project / "a.py").read_text() == NOQA_ADDED
    assert run(capsys, "check", "--report-unused-noqa", "a.py")[:2] == (
        0,
        "All checks passed!\n",
    )
    code, _, err = run(capsys, "check", "--add-noqa", "a.py")
    assert (code, (project / "a.py").read_text()) == (0, NOQA_ADDED)
    assert "Added 0 noqa directives." in err


def test_add_noqa_keeps_mode_and_line_ends_and_refuses_a_read_only_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = project / "a.py"
    module.write_bytes(BAD.replace("\n", "\r\n").encode())
    module.chmod(0o640)
    assert run(capsys, "check", "--add-noqa", "a.py")[0] == 0
    assert module.read_bytes() == b'span.set_attribute("http.method", "GET")  # noqa: OTL301\r\n'
    assert module.stat().st_mode & 0o7777 == 0o640
    module.write_text(MALFORMED)
    module.chmod(0o444)
    code, _, err = run(capsys, "check", "--add-noqa", "a.py")
    assert code == 2
    assert "could not add `# noqa` to a.py: the file is read-only" in err
    assert module.read_text() == MALFORMED


def test_add_noqa_refuses_a_line_no_comment_can_follow() -> None:
    # Python cannot tokenize this text: where a comment may go is unknown, so none is written.
    text = 'span.set_attribute("cartSize", 1)\nx = """never closed\n'
    edit = add_noqa(text, {1: ["OTL302"]})
    assert (edit.text, edit.added) == (text, 0)
    assert [line for line, _ in edit.refused] == [1]


def test_add_noqa_cannot_be_combined_with_fix(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.py").write_text(BAD)
    code, _, err = run(capsys, "check", "--add-noqa", "--fix", "a.py")
    assert code == 2 and "--add-noqa cannot be used with --fix" in err
    assert (project / "a.py").read_text() == BAD


def test_a_noqa_inside_a_string_silences_nothing() -> None:
    suppressions = find_suppressions('x = "# noqa"; y = 1\nz = 2  # noqa: OTL301\n')
    assert not suppressions.suppresses("OTL302", 1)
    assert suppressions.suppresses("OTL301", 2)
    # At the end of a multi-line string, it speaks for the string's first line, as in ruff.
    moved = find_suppressions('f("""a\nb""")  # noqa: OTL301\n')
    assert moved.suppresses("OTL301", 1) and moved.suppresses("OTL301", 2)
