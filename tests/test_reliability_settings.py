"""Settings a typo cannot switch off: unknown codes, misspelt keys, values of the wrong type,
patterns that are no patterns, and files nested past Python's recursion limit."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from otel_lint.cli import main

SOURCE = (
    "from opentelemetry import trace\n"
    "span = trace.get_current_span()\n"
    'span.set_attribute("userId", 1)\n'
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(SOURCE)
    return tmp_path


@pytest.mark.parametrize(
    ("argument", "closest"),
    [("--select=OTL999", "`OTL999`"), ("--ignore=OTL9", "`OTL9`"), ("--extend-select=OTL3021", "")],
)
def test_an_unknown_code_on_the_command_line_is_a_usage_error(
    project: Path, capsys: pytest.CaptureFixture[str], argument: str, closest: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["check", argument, "app.py"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert closest in err
    assert "did you mean `OTL" in err or "not a rule code" in err


def test_real_codes_and_prefixes_are_still_accepted(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--no-cache", "--select", "OTL3,OTL000,OTL001,ALL", "app.py"]) == 1
    assert main(["check", "--no-cache", "--ignore", "OTL30", "app.py"]) == 0


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ('select = ["OTL9"]', "`select`: Value error, `OTL9` is no rule code or prefix; did you"),
        ('ignore = ["OTL999"]', "`OTL999` is no rule code or prefix; did you mean `OTL"),
        ('per-file-ignores = { "tests/*" = ["OTL77"] }', '`"tests/*"`: `OTL77` is no rule'),
        ('exclude = ["[z-a]"]', "`exclude.0`: Value error, '[z-a]' is not a gitignore-style"),
        ('per-file-ignores = { "[z-a]" = ["OTL2"] }', "`\"[z-a]\"`: '[z-a]' is not a gitignore"),
        ("file-time-limit = true", "`file-time-limit`: Input should be a valid number"),
        ('follow-symlinks = "yes"', "`follow-symlinks`: Input should be a valid boolean"),
        ("report-unused-noqa = 1", "`report-unused-noqa`: Input should be a valid boolean"),
        ('namespace = ["acme"]', "unknown key `namespace`; did you mean `namespaces`?"),
        ("x = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
    ],
)
def test_a_bad_setting_is_a_configuration_error_naming_the_key(
    project: Path, capsys: pytest.CaptureFixture[str], table: str, named: str
) -> None:
    (project / "pyproject.toml").write_text(f"[tool.otel-lint]\n{table}\n")
    assert main(["check", "--no-cache", "app.py"]) == 2
    err = capsys.readouterr().err
    assert named in err
    assert "internal error" not in err


def test_a_deep_pyproject_on_the_way_up_is_a_clear_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    (project / "svc").mkdir()
    (project / "svc" / "app.py").write_text(SOURCE)
    assert main(["check", "--no-cache", "svc/app.py"]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_a_deeply_nested_baseline_is_a_clear_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "baseline.json").write_text("[" * 100_000 + "]" * 100_000)
    assert main(["check", "--no-cache", "--baseline", "baseline.json", "app.py"]) == 2
    assert "not a valid baseline: nested too deeply" in capsys.readouterr().err


def test_an_unknown_code_in_noqa_is_reported_with_the_closest(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "app.py").write_text(
        SOURCE.replace(")\n", ")  # noqa: OTL302, OTL303, E501\n")
        + 'span.set_attribute("userId2", 1)  # noqa: OTL302, OTL303, OTL999\n'
    )
    assert main(["check", "--no-cache", "app.py"]) == 1
    out = capsys.readouterr().out
    assert "app.py:4:35: OTL001 info: this `# noqa` names no rule: `OTL999` (did you mean" in out
    assert "Found 1 finding." in out  # E501 is another tool's code: not ours to judge


def test_write_baseline_keeps_a_symlink_and_the_files_mode(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "shared").mkdir()
    real = project / "shared" / "baseline.json"
    real.write_text("{}")
    real.chmod(0o644)
    (project / "baseline.json").symlink_to(real)
    assert main(["check", "--no-cache", "--write-baseline", "baseline.json", "app.py"]) == 0
    assert (project / "baseline.json").is_symlink()
    assert stat.S_IMODE(real.stat().st_mode) == 0o644
    assert len(json.loads(real.read_text())["findings"]) == 2
    fresh = project / "new-baseline.json"
    assert main(["check", "--no-cache", "--write-baseline", str(fresh), "app.py"]) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


FIXABLE = (
    "from opentelemetry import trace\n"
    "span = trace.get_current_span()\n"
    'span.set_attribute("http.method", "GET")\n'
)


def test_fix_leaves_a_read_only_file_alone(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "app.py").write_text(FIXABLE)
    (project / "app.py").chmod(0o444)
    assert main(["check", "--no-cache", "--fix", "app.py"]) == 2
    assert (project / "app.py").read_text() == FIXABLE
    assert stat.S_IMODE((project / "app.py").stat().st_mode) == 0o444
    assert "could not write the fixes to app.py: the file is read-only" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "chown"), reason="POSIX owners")
def test_fix_keeps_the_owner_and_mode_of_another_users_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = project / "app.py"
    target.write_text(FIXABLE)
    target.chmod(0o664)
    if os.geteuid() == 0:
        os.chown(target, 65534, 65534)  # nobody's file in a folder root may write
    before = target.stat()
    code = main(["check", "--no-cache", "--fix", "app.py"])
    after = target.stat()
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (
        before.st_uid,
        before.st_gid,
        0o664,
    )
    assert code in (0, 1) and "http.request.method" in target.read_text()
