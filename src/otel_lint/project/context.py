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
from dataclasses import dataclass
from pathlib import Path

from otel_lint.cache.keys import keyed_path
from otel_lint.cache.store import read_value, write_value
from otel_lint.project import facts as project_facts
from otel_lint.project.deployment import COMPOSE_FILE, compose_services
from otel_lint.project.discovery import walk
from otel_lint.project.services import PYTHON_PROJECT_MARK, SERVICE_MARK
from otel_lint.project.source import UnreadableSource, decode_source, parser_text
from otel_lint.regular_files import read_regular_file

#: (size, modification and change times in ns, inode): what says a file is as it was. The change
#: time catches a copy that kept the old modification time (``cp -p``, ``touch -r``).
Stamp = tuple[int, int, int, int]
#: A file's facts, each group tied to where it applies: "" for the file's own folder (its
#: service), else a folder relative to the file's (a compose service's build context).
Tied = tuple[tuple[str, frozenset[str]], ...]
#: Per file (how it was read, its absolute path): its stamp and its facts. A file can be read
#: both ways (``Dockerfile.py``), with different facts.
Remembered = dict[tuple[str, str], tuple[Stamp, Tied]]
#: Younger stamps are not remembered: a write in the same clock tick keeps the stamp.
_SETTLED_AFTER_S = 2.0
_NONE: Tied = ()


@dataclass(frozen=True)
class RepositoryContext:
    """What the files of one repository that a run does not check show, and where it applies."""

    #: (the absolute path a group of facts is tied to, whether it is a folder, the facts).
    facts: tuple[tuple[str, bool, frozenset[str]], ...]
    #: Folders that look like a service (``services.SERVICE_MARK``) or that a compose service
    #: is built from.
    marked: frozenset[str]


def context_facts(
    root: Path, checked: Iterable[Path], exclude: Sequence[str], *, use_cache: bool = True
) -> RepositoryContext:
    """Facts from the files under ``root`` that are not in ``checked``, and its deployment files:
    one walk of each kind, whatever the number of services."""
    root = root.absolute()
    store = keyed_path("context", os.fspath(root), repr(list(exclude))) if use_cache else None
    remembered: Remembered = (read_value(store, Remembered) or {}) if store is not None else {}
    now = time.time()
    kept: Remembered = {}
    found: list[tuple[str, bool, frozenset[str]]] = []
    marked: set[str] = set()
    # Folders a Dockerfile, a Procfile or a compose build names: services only if Python code
    # lies below them (a `deploy/` folder of deployment files deploys the code around it).
    deploying: set[str] = set()
    for deployment in project_facts.deployment_files(root):
        name = os.fspath(deployment)
        if PYTHON_PROJECT_MARK.match(deployment.name):
            marked.add(os.path.dirname(name))
        elif SERVICE_MARK.match(deployment.name):
            deploying.add(os.path.dirname(name))
        for tie, facts in _facts(deployment, _deployment_facts, remembered, kept, now):
            if tie:
                folder = os.path.normpath(os.path.join(os.path.dirname(name), tie))
                deploying.add(folder)
                found.append((folder, True, facts))
            elif facts:
                found.append((name, False, facts))
    checked_paths = {os.fspath(path.absolute()) for path in checked}
    with_code: set[str] = set()
    top = os.fspath(root)
    for source in walk(root, exclude, root):
        folder = os.path.dirname(source)
        if os.path.basename(source) == "setup.py":
            marked.add(folder)
        while folder not in with_code and len(folder) > len(top):
            with_code.add(folder)
            folder = os.path.dirname(folder)
        if source not in checked_paths:
            for _, facts in _facts(source, _python_facts, remembered, kept, now):
                found.append((source, False, facts))
    if store is not None and kept != remembered:
        write_value(store, Remembered, kept)
    return RepositoryContext(tuple(found), frozenset(marked | (deploying & with_code)))


def _facts(
    path: str | Path,
    read: Callable[[str | Path], Tied],
    remembered: Remembered,
    kept: Remembered,
    now: float,
) -> Tied:
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
        kept[key] = known
        return known[1]
    try:
        facts = read(path)
    except OSError:  # vanished or unreadable: nothing to learn from it, nothing to remember
        return _NONE
    if now - status.st_mtime_ns / 1e9 >= _SETTLED_AFTER_S:
        kept[key] = (stamp, facts)
    return facts


def _deployment_parts(path: str | Path) -> list[tuple[str, int, str]]:
    """A deployment file's text in parts, each with the folder it is tied to ("" for the file's
    own) and its first line: a compose file's services tied to the folders they are built from,
    and the rest of the file; any other file whole."""
    text = read_regular_file(path).decode("utf-8", errors="replace")
    # Newlines as a text-mode open reads them.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not COMPOSE_FILE.match(os.path.basename(path)) or (
        "build" not in text and "working_dir" not in text
    ):
        return [("", 1, text)]
    lines = text.split("\n")
    parts: list[tuple[str, int, str]] = []
    for service in compose_services(text):
        if not service.folders:
            continue  # built elsewhere (an image): its settings stay with the file's folder
        block = "\n".join(lines[service.first_line - 1 : service.last_line])
        parts += [(folder, service.first_line, block) for folder in service.folders]
        for number in range(service.first_line - 1, min(service.last_line, len(lines))):
            lines[number] = ""
    return [("", 1, "\n".join(lines)), *parts]


def _facts_reader(path: str | Path) -> Callable[[str], set[str]]:
    """How a deployment file shows facts: a lock file only for the logging instrumentation's pin
    (what it locks is installed by something else, not chosen by the project)."""
    if project_facts.LOCK_FILE.search(os.fspath(path).replace(os.sep, "/")):
        return project_facts.lock_facts
    return project_facts.text_facts


def _deployment_facts(path: str | Path) -> Tied:
    tied: dict[str, set[str]] = {}
    read = _facts_reader(path)
    for tie, _, text in _deployment_parts(path):
        tied.setdefault(tie, set()).update(read(text))
    return tuple((tie, frozenset(facts)) for tie, facts in tied.items() if facts)


def _python_facts(path: str | Path) -> Tied:
    data = read_regular_file(path)
    try:
        text = parser_text(decode_source(data).text)
    except UnreadableSource:
        return _NONE
    try:
        facts = frozenset(project_facts.python_facts(text))
    except Exception:  # a file read only for context must never fail the run
        return _NONE
    return (("", facts),) if facts else _NONE


#: One fact and where it came from: (the absolute path it is tied to, whether that is a folder,
#: the fact, the file it was read in relative to the root, the line).
Origin = tuple[str, bool, str, str, int]


def _first_line(text: str, fact: str, read: Callable[[str], set[str]]) -> int:
    """The first line by which ``text`` shows ``fact``: the shortest run of leading lines whose
    facts hold it (found by halving; 1 if the whole text does not show it)."""
    lines = text.split("\n")
    low, high = 1, len(lines)
    if fact not in read("\n".join(lines[:high])):
        return 1
    while low < high:
        middle = (low + high) // 2
        if fact in read("\n".join(lines[:middle])):
            high = middle
        else:
            low = middle + 1
    return low


def _python_text(path: str | Path) -> str:
    try:
        return parser_text(decode_source(read_regular_file(path)).text)
    except UnreadableSource:
        return ""


def _python_reader(text: str) -> set[str]:
    try:
        return project_facts.python_facts(text)
    except Exception:  # as in a lint run, a file read for context never fails the run
        return set()


def fact_origins(root: Path, exclude: Sequence[str]) -> tuple[list[Origin], frozenset[str]]:
    """Every fact the repository's files show, each with the file and line it came from, and the
    folders that look like services.

    Every file is read (no cache): this answers ``--show-settings``, where a user asks why a
    rule did or did not fire, not a lint run.
    """
    root = root.absolute()
    marked = context_facts(root, (), exclude, use_cache=False).marked
    origins: list[Origin] = []
    for deployment in project_facts.deployment_files(root):
        name = os.fspath(deployment)
        label = deployment.relative_to(root).as_posix()
        try:
            parts = _deployment_parts(deployment)
        except OSError:
            continue
        read = _facts_reader(deployment)
        for tie, first, text in parts:
            where = os.path.normpath(os.path.join(os.path.dirname(name), tie)) if tie else name
            for fact in sorted(read(text)):
                line = first - 1 + _first_line(text, fact, read)
                origins.append((where, bool(tie), fact, label, line))
    for source in walk(root, exclude, root):
        try:
            text = _python_text(source)
        except OSError:
            continue
        label = Path(source).relative_to(root).as_posix()
        for fact in sorted(_python_reader(text)):
            origins.append((source, False, fact, label, _first_line(text, fact, _python_reader)))
    return origins, marked
