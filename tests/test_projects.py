"""Each named path is linted as part of its own project: settings and facts never cross projects,
and installed packages are never walked for facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from otel_lint.cli import main
from otel_lint.runner import separate_projects

UNBRIDGED = "import logging\nfrom opentelemetry import trace\n\nlogging.basicConfig()\n"
BRIDGE = "OTEL_PYTHON_LOG_CORRELATION=true\n"


def _lint(capsys: pytest.CaptureFixture[str], *paths: Path) -> list[tuple[str, int, str]]:
    main(["check", "--no-cache", "--output-format", "json", *map(str, paths)])
    return [(f["path"], f["line"], f["code"]) for f in json.loads(capsys.readouterr().out)]


@pytest.fixture
def two_checkouts(tmp_path: Path) -> tuple[Path, Path]:
    """Two unrelated projects in one temporary folder, each with its own settings and facts."""
    shop, billing = tmp_path / "shop", tmp_path / "billing"
    for project in (shop, billing):
        (project / "src").mkdir(parents=True)
        (project / "src" / "app.py").write_text(UNBRIDGED)
        (project / "src" / "spans.py").write_text(
            "from opentelemetry import trace\n"
            'trace.get_current_span().set_attribute("http.method", "GET")\n'
        )
    (shop / "pyproject.toml").write_text('[tool.otel-lint]\nignore = ["OTL301"]\n')
    (billing / "setup.py").write_text("from setuptools import setup\n")
    (billing / ".env").write_text(BRIDGE)  # billing bridges its logs; shop does not
    return shop, billing


def test_two_projects_linted_together_give_what_each_gives_alone(
    two_checkouts: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    shop, billing = two_checkouts
    alone = _lint(capsys, shop) + _lint(capsys, billing)
    together = _lint(capsys, shop, billing)
    assert sorted(together) == sorted(alone)
    assert sorted(_lint(capsys, billing, shop)) == sorted(alone)
    codes = {(Path(path).parts[-3], code) for path, _, code in together}
    # shop's settings ignore OTL301 and only shop lacks a log bridge; billing has neither.
    assert ("shop", "OTL101") in codes and ("billing", "OTL101") not in codes
    assert ("billing", "OTL301") in codes and ("shop", "OTL301") not in codes


def test_paths_are_grouped_by_the_nearest_project(two_checkouts: tuple[Path, Path]) -> None:
    shop, billing = two_checkouts
    groups = separate_projects([billing / "src" / "app.py", shop / "src", billing / "src"])
    assert sorted(groups) == sorted(
        [(billing / "src", billing / "src" / "app.py"), (shop / "src",)]
    )


def test_a_virtual_environment_inside_a_project_shows_no_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An installed package's logging bridge is not the project's: venvs are never walked."""
    project = tmp_path / "service"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\nname = 'service'\n")
    (project / "app.py").write_text(UNBRIDGED)
    for environment in ("env", "site-packages"):
        installed = project / environment / "lib" / "bridge"
        installed.mkdir(parents=True)
        (installed / ".env").write_text(BRIDGE)
        (installed / "setup.py").write_text("from opentelemetry import trace\n")
    (project / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert ("app.py", 4, "OTL101") in {
        (Path(path).name, line, code) for path, line, code in _lint(capsys, project)
    }


def test_show_settings_says_per_project_what_was_decided_and_from_which_file(
    two_checkouts: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    shop, billing = two_checkouts
    (billing / "setup.py").write_text("from setuptools import setup\n\nsetup(name='billing')\n")
    assert main(["check", "--show-settings", str(shop), str(billing)]) == 0
    shown = capsys.readouterr().out
    blocks = {block.split("\n", 1)[0]: block for block in shown.split("\n\n")}
    shop_block, billing_block = blocks[f"project {shop}"], blocks[f"project {billing}"]
    assert f"configuration: {shop / 'pyproject.toml'}" in shop_block
    assert "configuration: none (defaults)" in billing_block
    assert "kind: application: nothing shows a library, the default" in shop_block
    assert "kind: library: builds a distribution (setup.py) that nothing here deploys" in (
        billing_block
    )
    assert "    log-bridge: .env" in billing_block and "log-bridge" not in shop_block
    assert "OTL301" not in shop_block.split("rules on", 1)[1].split("\n", 1)[0]
    assert "in preview, off without --preview: OTL201 OTL204" in shop_block
