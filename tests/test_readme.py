"""The README stays true: its plugin example passes in a real inner pytest, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _block_after(marker: str) -> str:
    found = re.search(rf"<!-- {re.escape(marker)} -->\n```\w*\n(.*?)```", README, re.DOTALL)
    assert found, f"README has no block after {marker}"
    return found.group(1)


def test_plugin_example_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme_example=_block_after("readme:plugin-example"))
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_plugin_example_can_fail(pytester: pytest.Pytester) -> None:
    broken = _block_after("readme:plugin-example").replace('place_order("web")', 'place_order("web")\n    place_order("app")')
    pytester.makepyfile(test_readme_example=broken)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)


def test_ci_commands_are_in_the_readme() -> None:
    assert _block_after("ci:install").strip().startswith("pip install -e '.[test]' && otel-lint check examples/")
    assert "pytest" in _block_after("ci:test")
