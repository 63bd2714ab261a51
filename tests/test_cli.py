"""The command line as a CI gate and a pre-commit hook rely on it: exit codes, formats, config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from otel_lint.cli import main

BAD = 'span.set_attribute("http.method", "GET")\n'
GOOD = 'span.set_attribute("http.request.method", "GET")\n'


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small project: a pyproject with an otel-lint table, and a working directory inside it."""
    (tmp_path / "pyproject.toml").write_text('[tool.otel-lint]\nnamespaces = ["acme"]\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_exit_zero_on_clean_code(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "good.py").write_text(GOOD)
    code, out, _ = run(capsys, "check", ".")
    assert code == 0
    assert "All checks passed!" in out


def test_exit_one_with_ruff_style_text(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.py").write_text("x = 1\n" + BAD)
    code, out, _ = run(capsys, "check", "bad.py")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("bad.py:2:20: OTL301 [*] warning: `http.method`")
    assert lines[2] == '2 | span.set_attribute("http.method", "GET")'
    assert lines[3] == "  |                    ^^^^^^^^^^^^^"
    assert "Found 1 finding." in out
    assert "\x1b[" not in out  # not a TTY: no colour


def test_exit_zero_flag_and_usage_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.py").write_text(BAD)
    assert run(capsys, "check", "--exit-zero", "bad.py")[0] == 0
    with pytest.raises(SystemExit) as exited:
        main(["check", "--select", "NOPE", "bad.py"])
    assert exited.value.code == 2
    assert "not a rule code" in capsys.readouterr().err
    # A path that does not exist is a finding, as in ruff (E902): the other paths are still checked.
    code, out, _ = run(capsys, "check", "missing.py", "bad.py")
    assert code == 1
    assert "missing.py:1:1: OTL000 error: file could not be checked: No such file or dir" in out
    assert "bad.py:1:20: OTL301" in out
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == 2


def test_mixed_tree_reports_bad_files_and_checks_the_rest(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = project / "src"
    src.mkdir()
    (src / "good.py").write_text(GOOD)
    (src / "bad.py").write_text(BAD)
    (src / "latin1.py").write_bytes(b"x = '\xe9'\n")  # no cookie: not UTF-8
    (src / "cookie.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n" + BAD.encode())
    (src / "broken.py").write_text("def f(:\n    pass\n")
    (src / "nul.py").write_bytes(b"x = 1\x00\n")
    (src / "bom.py").write_bytes(b"\xef\xbb\xbf" + BAD.encode())
    code, out, _ = run(capsys, "check", "--output-format", "json", "src")
    assert code == 1
    found = {(f["path"], f["code"]) for f in json.loads(out)}
    assert found == {
        ("src/bad.py", "OTL301"),
        ("src/bom.py", "OTL301"),
        ("src/cookie.py", "OTL301"),
        ("src/latin1.py", "OTL000"),
        ("src/broken.py", "OTL000"),
        ("src/nul.py", "OTL000"),
    }
    messages = {f["path"]: f["message"] for f in json.loads(out) if f["code"] == "OTL000"}
    assert "utf-8" in messages["src/latin1.py"]
    assert "syntax error" in messages["src/broken.py"]
    assert "NUL" in messages["src/nul.py"]


def test_json_schema_of_a_finding(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.py").write_text("ñ = 1; " + BAD)
    _, out, _ = run(capsys, "check", "--output-format", "json", "bad.py")
    (finding,) = json.loads(out)
    assert finding == {
        "code": "OTL301",
        "name": "deprecated-attribute",
        "message": finding["message"],
        "severity": "warning",
        "path": "bad.py",
        "line": 1,
        "column": 27,  # characters, not bytes: ñ is one column
        "end_line": 1,
        "end_column": 40,
        "fix": {
            "content": '"http.request.method"',
            "line": 1,
            "column": 27,
            "end_line": 1,
            "end_column": 40,
        },
        "fingerprint": finding["fingerprint"],
    }


def test_sarif_is_valid_sarif_2_1_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = Path(__file__).parent / "schemas" / "sarif-2.1.0-rtm.5.json"
    if not schema_path.exists():
        pytest.fail("tests/schemas/sarif-2.1.0-rtm.5.json is missing")
    (project / "bad.py").write_text(BAD)
    (project / "broken.py").write_text("def (:\n")
    _, out, _ = run(capsys, "check", "--output-format", "sarif", ".")
    document = json.loads(out)
    jsonschema.validate(document, json.loads(schema_path.read_text()))
    run_ = document["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert "OTL301" in ids and "OTL000" in ids
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["partialFingerprints"]
    assert {r["ruleId"] for r in run_["results"]} == {"OTL301", "OTL000"}


def test_github_annotations(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.py").write_text(BAD)
    _, out, _ = run(capsys, "check", "--output-format", "github", "bad.py")
    assert out.strip().startswith("::warning file=bad.py,line=1,col=20,")
    assert "title=OTL301::OTL301 `http.method`" in out


def test_select_ignore_and_prefixes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.py").write_text(BAD)
    assert run(capsys, "check", "--ignore", "OTL3", "bad.py")[0] == 0
    assert run(capsys, "check", "--select", "OTL2", "bad.py")[0] == 0
    assert run(capsys, "check", "--select", "OTL2", "--extend-select", "OTL301", "bad.py")[0] == 1
    # The more specific selector wins, as in ruff.
    assert run(capsys, "check", "--select", "OTL301", "--ignore", "OTL3", "bad.py")[0] == 1


@pytest.mark.parametrize(
    "selection",
    [
        ["--select", "OTL301"],
        ["--select", "OTL3", "--ignore", "OTL"],
        ["--ignore", "ALL", "--extend-select", "OTL2"],
    ],
)
def test_a_file_that_could_not_be_checked_shows_whatever_rules_are_selected(
    project: Path, capsys: pytest.CaptureFixture[str], selection: list[str]
) -> None:
    # Selecting rules must not turn "this file was never checked" into "All checks passed!".
    (project / "broken.py").write_text("x = (\n")
    (project / "good.py").write_text(GOOD)
    code, out, _ = run(capsys, "check", "--output-format", "json", *selection, ".")
    assert code == 1
    assert [(f["code"], f["path"]) for f in json.loads(out)] == [("OTL000", "broken.py")]


def test_ignoring_the_otl0_family_by_name_hides_unreadable_files(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "broken.py").write_text("x = (\n")
    assert run(capsys, "check", "--ignore", "OTL000", ".")[0] == 0
    assert run(capsys, "check", "--select", "OTL3", "--ignore", "OTL0", ".")[0] == 0
    # A more specific selector turns it back on, as for any code.
    assert run(capsys, "check", "--ignore", "OTL0", "--extend-select", "OTL000", ".")[0] == 1
    assert run(capsys, "check", "--ignore", "OTL000", "--select", "OTL000", ".")[0] == 0
    (project / "pyproject.toml").write_text(
        '[tool.otel-lint.per-file-ignores]\n"broken.py" = ["ALL"]\n"b*.py" = ["OTL"]\n'
    )
    assert run(capsys, "check", ".")[0] == 1
    (project / "pyproject.toml").write_text(
        '[tool.otel-lint.per-file-ignores]\n"broken.py" = ["OTL000"]\n'
    )
    assert run(capsys, "check", ".")[0] == 0


def test_statistics(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "bad.py").write_text(BAD * 3)
    _, out, _ = run(capsys, "check", "--statistics", "bad.py")
    assert out.splitlines()[0] == "3\tOTL301\t[*] deprecated-attribute"


def test_noqa_and_file_ignore(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "a.py").write_text(BAD.rstrip() + "  # noqa: OTL301\n")
    (project / "b.py").write_text(BAD.rstrip() + "  # noqa\n")
    (project / "c.py").write_text(BAD.rstrip() + "  # noqa: OTL201\n")
    (project / "d.py").write_text("# otel-lint: file-ignore[OTL3]\n" + BAD)
    _, out, _ = run(capsys, "check", "--output-format", "json", ".")
    assert [f["path"] for f in json.loads(out)] == ["c.py"]


def test_unused_noqa_on_request(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "a.py").write_text("x = 1  # noqa: OTL201\n" + BAD.rstrip() + "  # noqa: OTL301\n")
    assert run(capsys, "check", "a.py")[0] == 0
    code, out, _ = run(capsys, "check", "--report-unused-noqa", "--output-format", "json", "a.py")
    assert code == 1
    assert [(f["code"], f["line"]) for f in json.loads(out)] == [("OTL001", 1)]


def test_per_file_ignores_severity_and_exclude(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.otel-lint]\nexclude = ["generated/"]\n'
        '[tool.otel-lint.per-file-ignores]\n"tests/*" = ["OTL3"]\n'
        '[tool.otel-lint.severity]\nOTL301 = "error"\n'
    )
    for folder in ("tests", "generated", "app"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.py").write_text(BAD)
    (tmp_path / ".gitignore").write_text("ignored_by_git.py\n")
    (tmp_path / "ignored_by_git.py").write_text(BAD)
    monkeypatch.chdir(tmp_path)
    _, out, _ = run(capsys, "check", "--output-format", "json", ".")
    findings = json.loads(out)
    assert [(f["path"], f["severity"]) for f in findings] == [("app/m.py", "error")]
    # A file named explicitly is checked even when excluded, as ruff does.
    _, out, _ = run(capsys, "check", "--output-format", "json", "generated/m.py")
    assert len(json.loads(out)) == 1


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ("selcet = ['OTL2']", "unknown key `selcet`"),
        ("select = 'OTL2'", "`select`"),
        ("select = ['XYZ']", "`select`"),
        ("[tool.otel-lint.severity]\nOTL301 = 'fatal'", "`severity.OTL301`"),
        ("namespaces = 3", "`namespaces`"),
        ("select = [", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key_and_exits_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    table: str,
    named: str,
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.otel-lint]\n{table}\n")
    (tmp_path / "a.py").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "check", ".")
    assert code == 2
    assert named in err
    assert "Traceback" not in err


def test_config_option_overrides_discovery(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.py").write_text(BAD)
    other = project / "strict.toml"
    other.write_text('ignore = ["OTL301"]\n')
    assert run(capsys, "check", "a.py")[0] == 1
    assert run(capsys, "check", "--config", str(other), "a.py")[0] == 0


def test_baseline_round_trip_survives_unrelated_edits(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = project / "a.py"
    module.write_text(BAD)
    baseline = project / "baseline.json"
    code, _, err = run(capsys, "check", "--write-baseline", str(baseline), ".")
    assert code == 0 and "Wrote 1 findings" in err
    assert run(capsys, "check", "--baseline", str(baseline), ".")[0] == 0
    # Lines added above the old finding do not bring it back...
    module.write_text("import os\n\n\n" + BAD)
    assert run(capsys, "check", "--baseline", str(baseline), ".")[0] == 0
    # ... but a new finding is reported.
    module.write_text("import os\n\n\n" + BAD + 'span.set_attribute("db.statement", q)\n')
    code, out, _ = run(capsys, "check", "--baseline", str(baseline), "--output-format", "json", ".")
    assert code == 1
    assert [f["line"] for f in json.loads(out)] == [5]
    baseline.write_text("{nonsense")
    code, _, err = run(capsys, "check", "--baseline", str(baseline), ".")
    assert code == 2 and "not a valid baseline" in err


def test_fix_applies_safe_fixes_keeps_encoding_and_is_idempotent(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = project / "a.py"
    original = (
        b"# -*- coding: latin-1 -*-\r\nname = '\xe9'\r\n" + BAD.replace("\n", "\r\n").encode()
    )
    module.write_bytes(original)
    module.chmod(0o640)
    code, out, err = run(capsys, "check", "--fix", "a.py")
    assert code == 0, out
    assert "Fixed a.py: 1 fix applied" in err
    fixed = module.read_bytes()
    assert fixed == original.replace(b'"http.method"', b'"http.request.method"')
    assert oct(module.stat().st_mode & 0o777) == oct(0o640)
    assert run(capsys, "check", "--fix", "a.py")[0] == 0
    assert module.read_bytes() == fixed


def test_rules_and_rule_pages(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "OTL301" in out and "deprecated-attribute" in out
    code, out, _ = run(capsys, "rule", "OTL301")
    assert code == 0
    for heading in (
        "## What it finds",
        "## Why it matters",
        "## Example",
        "## Instead",
        "## Flagged",
        "## Not flagged",
    ):
        assert heading in out
    assert run(capsys, "rule", "OTL999")[0] == 2


def test_jobs_do_not_change_the_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for number in range(24):
        (project / f"m{number:02}.py").write_text(("x = 1\n" * number) + BAD)
    _, serial, _ = run(capsys, "check", "--jobs", "1", "--output-format", "json", ".")
    _, parallel, _ = run(capsys, "check", "--jobs", "2", "--output-format", "json", ".")
    assert serial == parallel
    assert len(json.loads(serial)) == 24


def test_console_script_runs_without_a_traceback(project: Path) -> None:
    (project / "a.py").write_text(BAD)
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "otel_lint.cli", "check", "a.py"],
        capture_output=True,
        text=True,
        env=env,
        cwd=project,
    )
    assert done.returncode == 1
    assert "OTL301" in done.stdout and done.stderr == ""
