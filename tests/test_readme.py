"""The README stays true: its plugin example passes in a real inner pytest, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
README = (REPOSITORY / "README.md").read_text(encoding="utf-8")


def _block_after(marker: str) -> str:
    found = re.search(rf"<!-- {re.escape(marker)} -->\n```\w*\n(.*?)```", README, re.DOTALL)
    assert found, f"README has no block after {marker}"
    return found.group(1)


def test_plugin_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_example=_block_after("readme:plugin-example"))
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_plugin_example_can_fail(pytester: pytest.Pytester) -> None:
    broken = _block_after("readme:plugin-example").replace(
        'place_order("web")', 'place_order("web")\n    place_order("app")'
    )
    pytester.makepyfile(test_readme_example=broken)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)


def test_ci_commands_are_in_the_readme() -> None:
    assert (
        _block_after("ci:install")
        .strip()
        .startswith("pip install -e '.[test]' && otel-lint check examples/")
    )
    assert "pytest" in _block_after("ci:test")


def test_pre_commit_runs_the_static_checks_ci_runs() -> None:
    """The repository's own pre-commit hooks run the README's ci:check commands, then otel-lint
    on its own sources, so a commit that passes them passes CI's checks."""
    import yaml

    install, *checks = (step.strip() for step in _block_after("ci:check").split("&&"))
    assert install == "pip install -e '.[dev]'"
    assert checks == [
        "ruff check src tests bench",
        "ruff format --check src tests bench",
        "mypy --strict",
    ]
    config = yaml.safe_load((REPOSITORY / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    assert entries == [*checks, "otel-lint check src"]


def test_rule_table_lists_every_rule_as_it_is() -> None:
    from otel_lint.catalogue.model import load_rules

    rows = set(re.findall(r"^\| (OTL\d{3}) \| ([a-z0-9-]+) \| (\w+) \|", README, re.MULTILINE))
    assert rows == {(r.code, r.name, r.severity.value) for r in load_rules()}


def test_shown_lint_output_is_what_the_linter_prints(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from otel_lint.cli import main

    shown = README.split("$ otel-lint check examples/tutorial_service\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    assert main(["check", "--no-cache", "examples/tutorial_service"]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert [
        line for line in shown.splitlines() if line and line != "..." and line not in printed
    ] == []
