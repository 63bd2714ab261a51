"""Lint a small project written to disk, through the same run the command line makes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from textwrap import dedent

from otel_lint.findings import Finding
from otel_lint.runner import RunOptions, run_lint


def write_project(root: Path, files: dict[str, str]) -> None:
    """Write ``files`` (dedented) under ``root``, with a pyproject.toml unless one is given."""
    if "pyproject.toml" not in files:
        (root / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))


def lint_project(root: Path, select: str, *only: str) -> list[Finding]:
    """Findings of the ``select`` codes, paths relative to ``root``.

    ``only`` names the files to check; the project's other files still give their facts.
    """
    paths = tuple(root / name for name in only) or (root,)
    outcome = run_lint(RunOptions(paths=paths, select=(select,), use_cache=False))
    return [replace(f, path=Path(f.path).relative_to(root).as_posix()) for f in outcome.findings]
