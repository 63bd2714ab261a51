"""Facts from the project's files that a run does not check: its other Python files and its
deployment files (requirements, Dockerfiles, env files...).

Collecting them means reading every such file, on every run: for a Django-sized project that was
most of a one-file pre-commit run. Each file's facts are therefore remembered between runs, one
cache file per project, keyed by the file's size, modification and change times and inode (as
git's index does); a file whose stamp changed is read again. A stamp within two seconds of the
moment it was read is not trusted (the file may change again within the clock's resolution), and
``--no-cache`` reads everything.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from otel_lint.cache.keys import keyed_path
from otel_lint.cache.store import read_value, write_value
from otel_lint.project import facts as project_facts
from otel_lint.project.discovery import walk
from otel_lint.project.source import UnreadableSource, decode_source, parser_text
from otel_lint.regular_files import read_regular_file

#: (size, modification and change times in ns, inode): what says a file is as it was. The change
#: time catches a copy that kept the old modification time (``cp -p``, ``touch -r``).
Stamp = tuple[int, int, int, int]
#: Per file (how it was read, its absolute path): its stamp and its facts. A file can be read
#: both ways (``Dockerfile.py``), with different facts.
Remembered = dict[tuple[str, str], tuple[Stamp, frozenset[str]]]
#: Younger stamps are not remembered: a write in the same clock tick keeps the stamp.
_SETTLED_AFTER_S = 2.0
_NONE: frozenset[str] = frozenset()


def context_facts(
    root: Path, checked: Iterable[Path], exclude: Sequence[str], *, use_cache: bool = True
) -> set[str]:
    """Facts from the files under ``root`` that are not in ``checked``, and its deployment files."""
    root = root.absolute()
    store = keyed_path("context", os.fspath(root), repr(list(exclude))) if use_cache else None
    remembered: Remembered = (read_value(store, Remembered) or {}) if store is not None else {}
    now = time.time()
    kept: Remembered = {}
    found: set[str] = set()
    for deployment in project_facts.deployment_files(root):
        found |= _facts(deployment, _deployment_facts, remembered, kept, now)
    checked_paths = {os.fspath(path.absolute()) for path in checked}
    for source in walk(root, exclude, root):
        if source not in checked_paths:
            found |= _facts(source, _python_facts, remembered, kept, now)
    if store is not None and kept != remembered:
        write_value(store, Remembered, kept)
    return found


def _facts(
    path: str | Path,
    read: Callable[[str | Path], frozenset[str]],
    remembered: Remembered,
    kept: Remembered,
    now: float,
) -> frozenset[str]:
    name = os.fspath(path)
    key = (read.__name__, name)
    try:
        status = os.stat(name)
    except OSError:
        return _NONE
    if not stat.S_ISREG(status.st_mode):
        return _NONE  # a pipe named .env must not hang the run (read_regular_file refuses it too)
    stamp = (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
    known = remembered.get(key)
    # Checked, not trusted: a damaged cache file must cost a read, never a wrong answer.
    if isinstance(known, tuple) and len(known) == 2 and known[0] == stamp:
        facts = known[1]
        if isinstance(facts, frozenset):
            kept[key] = known
            return facts
    try:
        facts = read(path)
    except OSError:  # vanished or unreadable: nothing to learn from it, nothing to remember
        return _NONE
    if now - status.st_mtime_ns / 1e9 >= _SETTLED_AFTER_S:
        kept[key] = (stamp, facts)
    return facts


def _deployment_facts(path: str | Path) -> frozenset[str]:
    text = read_regular_file(path).decode("utf-8", errors="replace")
    # Newlines as a text-mode open reads them.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if project_facts.LOCK_FILE.search(os.fspath(path).replace(os.sep, "/")):
        return frozenset(project_facts.lock_facts(text))
    return frozenset(project_facts.text_facts(text))


def _python_facts(path: str | Path) -> frozenset[str]:
    data = read_regular_file(path)
    try:
        text = parser_text(decode_source(data).text)
    except UnreadableSource:
        return _NONE
    try:
        return frozenset(project_facts.python_facts(text)) or _NONE
    except Exception:  # a file read only for context must never fail the run
        return _NONE


def facts_by_file(root: Path, exclude: Sequence[str]) -> dict[str, list[str]]:
    """Each fact the project's files show, with the files (relative to ``root``) that show it.

    Every file is read (no cache): this answers ``--show-settings``, where a user asks why a
    rule did or did not fire, not a lint run.
    """
    root = root.absolute()
    shown: dict[str, list[str]] = {}
    files = [(path, _deployment_facts) for path in project_facts.deployment_files(root)]
    files += [(Path(path), _python_facts) for path in walk(root, exclude, root)]
    for path, read in files:
        try:
            found = read(path)
        except OSError:
            continue
        name = path.relative_to(root).as_posix()
        for fact in sorted(found):
            shown.setdefault(fact, []).append(name)
    return shown
