"""The preview tier: rules right less than 9 times in 10 on real code are off unless asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_lint.catalogue.files import preview_codes
from otel_lint.catalogue.model import load_rules
from otel_lint.cli import main
from otel_lint.config.loader import parse_settings
from otel_lint.config.settings import ConfigError
from otel_lint.runner import enabled_codes, preview_notes

CODES = ("OTL101", "OTL201", "OTL205", "OTL301")


def test_a_rule_in_preview_stays_off_whatever_selects_it() -> None:
    held = frozenset({"OTL205"})
    assert enabled_codes(CODES, ["ALL"], [], held) == ["OTL000", "OTL101", "OTL201", "OTL301"]
    assert enabled_codes(CODES, ["OTL205"], [], held) == ["OTL000"]
    assert enabled_codes(CODES, ["OTL205"], [], frozenset()) == ["OTL000", "OTL205"]
    assert enabled_codes(CODES, ["OTL2"], ["OTL201"], frozenset()) == ["OTL000", "OTL205"]


def test_naming_a_rule_in_preview_says_why_it_did_not_run() -> None:
    (note,) = preview_notes(["OTL2", "OTL205"], frozenset({"OTL205", "OTL301"}))
    assert note.startswith("OTL205 is in preview")
    assert "--preview" in note
    assert preview_notes(["ALL"], frozenset({"OTL205"})) == ()


def test_the_file_listing_agrees_with_the_validated_rules() -> None:
    """``preview_codes`` reads the files as text (no YAML parser on a cached run)."""
    assert preview_codes() == {rule.code for rule in load_rules() if rule.preview is not None}


def test_preview_must_be_a_boolean_and_the_key_is_named() -> None:
    assert parse_settings({"preview": True}, "pyproject.toml").preview is True
    with pytest.raises(ConfigError, match="`preview`"):
        parse_settings({"preview": "yes"}, "pyproject.toml")


def test_a_preview_rule_runs_only_with_preview(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = [rule for rule in load_rules() if rule.preview is not None]
    if not rules:
        pytest.skip("no rule is in preview")
    rule = rules[0]
    example = next(e for e in rule.examples.invalid if e.code is not None)
    (tmp_path / "app.py").write_text(example.code or "")
    monkeypatch.chdir(tmp_path)

    assert main(["check", "--no-cache", "--select", rule.code, "app.py"]) == 0
    captured = capsys.readouterr()
    assert rule.code not in captured.out
    assert f"{rule.code} is in preview" in captured.err

    assert main(["check", "--no-cache", "--preview", "--select", rule.code, "app.py"]) == 1
    assert f" {rule.code} " in capsys.readouterr().out

    (tmp_path / "pyproject.toml").write_text("[tool.otel-lint]\npreview = true\n")
    assert main(["check", "--no-cache", "--select", rule.code, "app.py"]) == 1
    assert main(["check", "--no-cache", "--no-preview", "--select", rule.code, "app.py"]) == 0


def test_the_rule_page_and_listing_say_preview(capsys: pytest.CaptureFixture[str]) -> None:
    rules = [rule for rule in load_rules() if rule.preview is not None]
    if not rules:
        pytest.skip("no rule is in preview")
    assert main(["rules"]) == 0
    listing = capsys.readouterr().out
    line = next(line for line in listing.splitlines() if line.startswith(rules[0].code))
    assert " preview " in line
    assert main(["rule", rules[0].code]) == 0
    page = capsys.readouterr().out
    assert "In preview: runs only with `--preview`" in page
    assert f"{rules[0].preview.precision:.0%}" in page  # type: ignore[union-attr]
