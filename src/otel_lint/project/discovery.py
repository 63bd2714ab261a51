"""Which files a run checks: the paths given, directories walked for ``*.py``.

Walking skips what ``.gitignore`` files and the configured ``exclude`` patterns skip (gitignore
syntax, matched with pathspec). It does not follow symlinks to directories, and checks a symlink
to a file only when the file lies inside the directory being walked, so a symlink loop or a link
that leaves the tree costs nothing; ``follow_symlinks`` follows both, visiting each real directory
once, which also ends loops. Broken and looping links met on the walk are skipped, as are pipes,
sockets and devices. A file or directory named explicitly is always checked, as ruff does without
``--force-exclude``. A named path that cannot be checked (missing, not a regular file) and a
directory that cannot be read are each a ``Problem`` the run reports; every other path is still
checked.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from otel_lint.regular_files import read_regular_file

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
        # Installed packages: somebody else's code, and thousands of files.
        "site-packages",
        "dist-packages",
    }
)
#: Deployment files whose telemetry settings are linted (``otel_lint.engine.deployment_files``):
#: compose files, Dockerfiles, env files, Procfiles, and YAML files that may be Kubernetes
#: manifests (judged only if they are).
LINTED_DEPLOYMENT = re.compile(
    r"^(Dockerfile[^/]*|[^/]*\.dockerfile|\.env(\.[^/]*)?|[^/]*\.env|Procfile|[^/]*\.ya?ml)$"
)
#: A folder holding this file is a virtual environment, whatever its name.
VIRTUAL_ENVIRONMENT_MARK = "pyvenv.cfg"


@dataclass(frozen=True)
class Target:
    """A file to check: its path as the user gave it (for output) and where it is."""

    label: str
    path: Path
    #: The source itself when it is not read from ``path`` (standard input judged as ``path``).
    data: bytes | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Problem:
    """A path that cannot be checked, and why (``No such file or directory``)."""

    label: str
    reason: str


@dataclass(frozen=True)
class Discovered:
    """The files to check, once each in a stable order, and the paths that could not be."""

    targets: tuple[Target, ...]
    problems: tuple[Problem, ...] = ()


def _gitignore_spec(folder: str) -> pathspec.PathSpec[Any] | None:
    """The folder's .gitignore; like git, a line that is not a pattern is ignored."""
    try:
        data = read_regular_file(os.path.join(folder, ".gitignore"))
        lines = data.decode("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    try:
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:  # rare: find the lines that are not patterns and leave them out
        spec = pathspec.GitIgnoreSpec.from_lines([line for line in lines if _is_pattern(line)])
    return spec if spec.patterns else None


def _is_pattern(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True


def _label(path: Path) -> str:
    text = str(path)
    return text[2:] if text.startswith("./") else text


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder)
    except (OSError, RuntimeError):  # a loop that resolve() gives up on
        return False


@dataclass
class _Folder:
    """A folder still to walk, with where it lies relative to the folders whose rules apply.

    Paths are matched as strings built on the way down: making a Path per entry and asking it
    for a relative path cost more than everything else in a walk of 3,000 files.
    """

    path: str
    #: Each applicable .gitignore's patterns, and this folder's path relative to that
    #: .gitignore's folder ("" for the folder itself, else ending in "/").
    ignores: list[tuple[pathspec.PathSpec[Any], str]]
    #: This folder relative to the base of the ``exclude`` patterns; None if outside it.
    from_base: str | None


def _walk(
    root: Path, exclude: Iterable[str], base: Path, follow_symlinks: bool, deployment: bool = False
) -> Iterator[str | Problem]:
    """The Python files under ``root`` (and, with ``deployment``, the deployment files whose
    settings are linted) as paths beginning with ``str(root)``, and problems."""
    excluded = pathspec.GitIgnoreSpec.from_lines(list(exclude))
    real_root = root.resolve()
    # Following links, the real directories met so far: a loop, or a second way into a folder
    # already walked, ends there instead of walking it again.
    visited = {real_root}
    stack = [_Folder(str(root), [], _from_base(root, base) if excluded.patterns else None)]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder.path), key=lambda e: e.name)
        except OSError as error:
            yield Problem(
                _label(Path(folder.path)), f"directory could not be read: {_reason(error)}"
            )
            continue
        if folder.path != str(root) and any(e.name == VIRTUAL_ENVIRONMENT_MARK for e in entries):
            continue  # a virtual environment below the folder walked (one named is walked)
        ignores = folder.ignores
        if any(entry.name == ".gitignore" for entry in entries):
            spec = _gitignore_spec(folder.path)
            if spec is not None:
                ignores = [*ignores, (spec, "")]
        folders = []
        for entry in entries:
            name = entry.name
            try:
                link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=follow_symlinks)
                is_file = not is_dir and entry.is_file()  # follows a link; False if it is broken
            except OSError:
                continue
            if is_dir and name in _ALWAYS_SKIPPED:
                continue
            if not is_dir and not (
                is_file
                and (name.endswith(".py") or (deployment and LINTED_DEPLOYMENT.search(name)))
            ):
                continue
            if link and not follow_symlinks and not _inside(Path(entry.path), real_root):
                continue
            suffix = "/" if is_dir else ""
            if any(spec.match_file(f"{prefix}{name}{suffix}") for spec, prefix in ignores):
                continue
            if folder.from_base is not None and excluded.match_file(
                f"{folder.from_base}{name}{suffix}"
            ):
                continue
            if is_dir and follow_symlinks:
                real = Path(entry.path).resolve()
                if real in visited:
                    continue
                visited.add(real)
            if is_dir:
                below = [(spec, f"{prefix}{name}/") for spec, prefix in ignores]
                if folder.from_base is not None:
                    deeper: str | None = f"{folder.from_base}{name}/"
                elif excluded.patterns:
                    # Walking from outside the base (a monorepo's root with a service's
                    # configuration): the base may lie below, so ask again, once per folder.
                    deeper = _from_base(Path(entry.path), base)
                else:
                    deeper = None
                folders.append(_Folder(entry.path, below, deeper))
            else:
                yield entry.path
        stack.extend(reversed(folders))


def _from_base(folder: Path, base: Path) -> str | None:
    """``folder`` relative to ``base`` ending in "/" ("" for the base itself), None if outside."""
    relative = relative_path(folder, base)
    if relative is None:
        return None
    return "" if relative == "." else relative + "/"


def walk(
    root: Path, exclude: Iterable[str], base: Path, *, follow_symlinks: bool = False
) -> Iterator[str]:
    """Python files under ``root`` as paths beginning with ``str(root)``; ``exclude`` patterns
    are relative to ``base``. Strings: its callers only open or stat the files."""
    for found in _walk(root, exclude, base, follow_symlinks):
        if isinstance(found, str):
            yield found


def relative_path(path: Path, to: Path) -> str | None:
    """``path`` relative to ``to`` in POSIX form, or None when it lies outside ``to``.

    ``..`` is resolved in the text, as the configuration is found (``../svc`` from a sibling
    folder is inside ``svc``); symlinks are not followed.
    """
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(to)).as_posix()
    except ValueError:
        return None


def _named(
    given: Path, exclude: list[str], base: Path, follow_symlinks: bool
) -> Iterable[Path | Problem]:
    """What one path on the command line stands for."""
    try:
        mode = given.stat().st_mode  # follows a link: a named link is checked as its target
    except OSError as error:
        return [Problem(_label(given), _reason(error))]
    if stat.S_ISREG(mode):
        return [given]
    if not stat.S_ISDIR(mode):
        # Reading a pipe or a device could block forever or never end.
        return [Problem(_label(given), "not a regular file or directory")]
    relative = relative_path(given, base)
    excluded = pathspec.GitIgnoreSpec.from_lines(exclude)
    # A directory the user names is checked even if excluded, as a named file is.
    named_excluded = relative not in (None, ".", "") and excluded.match_file(f"{relative}/")
    walked = _walk(given, () if named_excluded else exclude, base, follow_symlinks, True)
    return (Path(found) if isinstance(found, str) else found for found in walked)


def discover(
    paths: Iterable[Path], exclude: Iterable[str], base: Path, *, follow_symlinks: bool = False
) -> Discovered:
    """Every file to check, once each, in an order that does not depend on the order given."""
    exclude = list(exclude)
    seen: set[Path] = set()
    targets: list[Target] = []
    problems: dict[str, Problem] = {}
    # Sorted, so that when two paths given reach the same file (``a.py`` and ``/abs/a.py``) the
    # label it is reported under does not depend on which came first.
    for given in sorted(set(paths)):
        for found in _named(given, exclude, base, follow_symlinks):
            if isinstance(found, Problem):
                problems.setdefault(found.label, found)
                continue
            key = found.absolute()
            if key not in seen:
                seen.add(key)
                targets.append(Target(_label(found), found))
    return Discovered(tuple(targets), tuple(problems.values()))
