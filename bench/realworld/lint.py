"""Runs otel-lint on one unpacked project and reads its findings as stable, comparable records."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class LintError(Exception):
    """otel-lint failed on a project (its exit code, or output that is not its JSON)."""


@dataclass(frozen=True, order=True)
class Finding:
    """One finding, its path relative to the project root so it reads the same on any machine."""

    package: str
    path: str
    line: int
    column: int
    code: str
    message: str
    text: str  # the source line, whitespace collapsed: what a judgment is re-matched by


def normalise_text(line: str) -> str:
    """A source line as judgments store it: stripped, each run of whitespace one space."""
    return " ".join(line.split())


def lint_project(package: str, root: Path) -> tuple[Finding, ...]:
    """The findings of ``otel-lint check`` on ``root``, linted as a project of its own."""
    command = [
        sys.executable, "-m", "otel_lint", "check", "--no-cache", "--output-format", "json",
        "--exit-zero", "--preview", ".",
    ]  # fmt: skip
    # Run from the root: the project is the folder given, never something above it.
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise LintError(f"{package}: otel-lint exited {done.returncode}\n{done.stderr.strip()}")
    try:
        records = json.loads(done.stdout)
    except json.JSONDecodeError as error:
        raise LintError(f"{package}: otel-lint printed no JSON ({error})") from error
    if not isinstance(records, list):
        raise LintError(f"{package}: otel-lint printed JSON that is not a list of findings")
    lines = _SourceLines(root)
    return tuple(sorted(_finding(package, root, record, lines) for record in records))


def _finding(package: str, root: Path, record: dict[str, Any], lines: _SourceLines) -> Finding:
    relative = relative_path(root, record["path"])
    line = int(record["line"])
    return Finding(
        package=package,
        path=relative,
        line=line,
        column=int(record.get("column") or 0),
        code=str(record["code"]),
        message=str(record["message"]),
        text=normalise_text(lines.line(relative, line)),
    )


def relative_path(root: Path, reported: str) -> str:
    """``reported`` (relative to ``root`` or absolute) as a POSIX path relative to ``root``."""
    path = Path(reported)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(root.resolve())
        except ValueError:
            return PurePath(reported).as_posix()
    parts = [part for part in path.parts if part != "."]
    return PurePath(*parts).as_posix() if parts else "."


class _SourceLines:
    """Lines of the project's files, read once each; numbered as Python's tokenizer numbers them."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._files: dict[str, list[str]] = {}

    def line(self, relative: str, number: int) -> str:
        if relative not in self._files:
            try:
                data = (self._root / relative).read_bytes()
            except OSError:
                data = b""
            self._files[relative] = _LINE_BREAK.split(data.decode("utf-8", errors="replace"))
        lines = self._files[relative]
        return lines[number - 1] if 1 <= number <= len(lines) else ""
