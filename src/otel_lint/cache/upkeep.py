"""Keeping the cache directory from growing without end.

Entries are never rewritten: an edited file, another otel-lint or another virtual environment
gives new keys, and the old entries stay behind. So an entry that is read has its modification
time renewed (at most once a day), and a run removes entries that no run has read or written for
``MAX_AGE``, at most once a day. Temporaries that a killed run left go once they are an hour old;
a younger one may be a concurrent run's write in progress. Files in the directory that otel-lint
did not write are never touched, whatever ``OTEL_LINT_CACHE_DIR`` names.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from otel_lint.cache.store import DAY, cache_directory

#: Entries unused for this long are removed.
MAX_AGE = 30 * DAY
#: A temporary this old belongs to a run that was killed.
TEMPORARY_AGE = 3600.0
#: The folders of entries (``cache.results``, ``project.context``, the validated configuration
#: and rules).
FOLDERS = ("results", "context", "config", "rules")
#: Its modification time says when the directory was last pruned.
MARKER = "last-pruned"


# The names otel-lint gives what it writes (``cache.keys.key_of`` is 32 hex digits), and the
# temporaries ``write_atomically`` makes beside them (``.<name>.<random>.tmp``). Nothing else in
# the directory is ever removed.
_HEX = "[0-9a-f]{32}"
_NAMES = {
    "": re.compile(r"semconv-\d+-[^/]+-[0-9a-f]+\.json"),
    "results": re.compile(f"[0-9a-f]{{2}}/{_HEX}"),
    # .pickle: what otel-lint wrote before its entries were JSON, pruned and cleaned all the same.
    **{
        folder: re.compile(f"{_HEX}\\.(?:json|pickle)") for folder in FOLDERS if folder != "results"
    },
}
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[^./]+\.tmp")


def _is_temporary(name: str) -> bool:
    return _TEMPORARY.fullmatch(name) is not None


def _ours(folder: str, relative: str) -> bool:
    """Whether ``relative`` (a path under ``folder``, "" for the top) names an otel-lint file."""
    head, _, name = relative.rpartition("/")
    temporary = _TEMPORARY.fullmatch(name)
    if temporary is not None:
        relative = f"{head}/{temporary['name']}" if head else temporary["name"]
    return _NAMES[folder].fullmatch(relative) is not None


def _entries(directory: Path) -> Iterator[os.DirEntry[str]]:
    """Every file otel-lint wrote in ``directory``: registries, entries and their temporaries."""
    with contextlib.suppress(OSError), os.scandir(directory) as top:
        for entry in top:
            if _ours("", entry.name) and entry.is_file(follow_symlinks=False):
                yield entry
    for folder in FOLDERS:
        yield from _entries_under(directory / folder, folder, "")


def _entries_under(path: Path, folder: str, prefix: str) -> Iterator[os.DirEntry[str]]:
    with contextlib.suppress(OSError), os.scandir(path) as listing:
        for entry in listing:
            relative = prefix + entry.name
            if folder == "results" and not prefix and entry.is_dir(follow_symlinks=False):
                yield from _entries_under(Path(entry.path), folder, relative + "/")
            elif _ours(folder, relative) and entry.is_file(follow_symlinks=False):
                yield entry


def prune(directory: Path, now: float | None = None, max_age: float = MAX_AGE) -> int:
    """Remove entries unused for ``max_age`` and temporaries of killed runs; how many went."""
    now = time.time() if now is None else now
    removed = 0
    for entry in _entries(directory):
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if age > (TEMPORARY_AGE if _is_temporary(entry.name) else max_age):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue  # gone meanwhile (another run pruned it) or not ours to remove
    return removed


def prune_when_due(directory: Path | None = None, now: float | None = None) -> int:
    """``prune`` if the directory was last pruned a day ago or never; an unwritable cache is left
    as it is. Returns how many entries went."""
    directory = cache_directory() if directory is None else directory
    now = time.time() if now is None else now
    marker = directory / MARKER
    try:
        if 0 <= now - marker.stat().st_mtime < DAY:
            return 0  # a time in the future (a clock set back) is no reason to wait
    except FileNotFoundError:
        if not directory.is_dir():
            return 0  # nothing cached yet
    except OSError:
        return 0
    try:
        marker.touch()  # first: a concurrent run sees it and does not prune too
        os.utime(marker, (now, now))
    except OSError:
        return 0
    return prune(directory, now)


def clean(directory: Path | None = None) -> int:
    """Remove everything otel-lint cached in ``directory``; how many files went. The directory
    itself goes too when nothing else is left in it."""
    directory = cache_directory() if directory is None else directory
    removed = 0
    for entry in _entries(directory):
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
            removed += 1
    with contextlib.suppress(OSError):
        (directory / MARKER).unlink()
    # Folders go only when nothing is left in them.
    results = directory / "results"
    folders: list[Path] = []  # none when nothing was ever cached
    with contextlib.suppress(OSError), os.scandir(results) as listing:
        folders = [Path(entry.path) for entry in listing if entry.is_dir(follow_symlinks=False)]
    for folder in [*folders, *(directory / name for name in FOLDERS), directory]:
        with contextlib.suppress(OSError):
            folder.rmdir()
    return removed
