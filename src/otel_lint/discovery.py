"""Which files a run checks: the paths given, directories walked for ``*.py``.

Walking skips what ``.gitignore`` files and the configured ``exclude`` patterns skip (gitignore
syntax, matched with pathspec) and does not follow symlinks to directories, so a symlink loop or
a link that leaves the tree costs nothing. A file or directory named explicitly is always
checked, as ruff does without ``--force-exclude``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pathspec

_ALWAYS_SKIPPED = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".tox",
        ".nox",
        ".venv",
        "venv",
        "node_modules",
        ".eggs",
    }
)


@dataclass(frozen=True)
class Target:
    """A file to check: its path as the user gave it (for output) and where it is."""

    label: str
    path: Path


def _read_gitignore(folder: Path) -> list[str]:
    try:
        return (folder / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _label(path: Path) -> str:
    text = str(path)
    return text[2:] if text.startswith("./") else text


def walk(root: Path, exclude: Iterable[str], base: Path) -> Iterator[Path]:
    """Python files under ``root``; ``exclude`` patterns are relative to ``base``."""
    excluded = pathspec.GitIgnoreSpec.from_lines(list(exclude))
    # Each folder's .gitignore applies below it: keep (folder, spec) pairs on the way down.
    stack: list[tuple[Path, list[tuple[Path, pathspec.PathSpec[Any]]]]] = [(root, [])]
    while stack:
        folder, ignores = stack.pop()
        lines = _read_gitignore(folder)
        if lines:
            ignores = [*ignores, (folder, pathspec.GitIgnoreSpec.from_lines(lines))]
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        folders = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = entry.is_file()  # follows a symlink to a file
            except OSError:
                continue
            if is_dir and entry.name in _ALWAYS_SKIPPED:
                continue
            if not is_dir and not (is_file and entry.name.endswith(".py")):
                continue
            if _ignored(path, is_dir, ignores, excluded, base):
                continue
            if is_dir:
                folders.append((path, ignores))
            else:
                yield path
        stack.extend(reversed(folders))


def relative_path(path: Path, to: Path) -> str | None:
    """``path`` relative to ``to`` in POSIX form, or None when it lies outside ``to``."""
    try:
        return path.absolute().relative_to(to.absolute()).as_posix()
    except ValueError:
        return None


def _ignored(
    path: Path,
    is_dir: bool,
    ignores: list[tuple[Path, pathspec.PathSpec[Any]]],
    excluded: pathspec.PathSpec[Any],
    base: Path,
) -> bool:
    suffix = "/" if is_dir else ""
    for folder, spec in ignores:
        relative = relative_path(path, folder)
        if relative is not None and spec.match_file(relative + suffix):
            return True
    relative = relative_path(path, base)
    return relative is not None and excluded.match_file(relative + suffix)


def discover(paths: Iterable[Path], exclude: Iterable[str], base: Path) -> list[Target]:
    """Every file to check, once each, in a stable order."""
    exclude = list(exclude)
    seen: set[Path] = set()
    targets: list[Target] = []
    excluded = pathspec.GitIgnoreSpec.from_lines(exclude)
    for given in paths:
        if given.is_dir():
            relative = relative_path(given, base)
            # A directory the user names is checked even if excluded, as a named file is.
            named_excluded = relative not in (None, ".", "") and excluded.match_file(f"{relative}/")
            found: Iterable[Path] = walk(given, () if named_excluded else exclude, base)
        else:
            found = [given]
        for path in found:
            key = path.absolute()
            if key not in seen:
                seen.add(key)
                targets.append(Target(_label(path), path))
    return targets
