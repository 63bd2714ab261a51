"""Which repository and which service a file belongs to: the units whose facts a rule judges.

A *repository* bounds the facts. Walking up from a file to the nearest ``.git`` (included): the
outermost folder that deploys services together (it holds a compose file, or the configuration
with a ``services`` table), else the nearest project (a folder with ``.git``,
``pyproject.toml``, ``setup.py`` or ``setup.cfg``). So a monorepo whose root compose file builds
its services is one repository even when each service has its own ``pyproject.toml``; a demo
folder with its own compose file inside a bigger repository is its own; and a package that
nothing around it deploys (an example project inside a library's checkout) is its own, as before.
Nothing above the repository is ever read for facts.

A *service* is the unit of facts inside a repository: the nearest folder that looks like one (it
holds a ``pyproject.toml``, ``setup.py``, ``setup.cfg`` or ``requirements*.txt``; or a Dockerfile,
a Procfile or a compose service's build, with Python code below it); the configured ``services``
table overrides both. Files under no service folder belong to the repository's root service,
whose facts (a root ``.env`` loaded by all, a shared library folder) count for every service.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from otel_lint.project.deployment import COMPOSE_FILE

#: A file that makes its folder a service. A Dockerfile or a Procfile does only in a folder with
#: Python code below it (``project.context``): a ``deploy/`` folder deploys the code around it.
SERVICE_MARK = re.compile(
    r"^(pyproject\.toml|setup\.py|setup\.cfg|requirements[^/]*\.txt|Dockerfile[^/]*|Procfile)$"
)
#: The marks that make a folder a service by themselves: it is a Python project.
PYTHON_PROJECT_MARK = re.compile(r"^(pyproject\.toml|setup\.py|setup\.cfg|requirements[^/]*\.txt)$")
#: Files that make a folder a Python project: the repository when no ``.git`` or compose file
#: is found above.
PROJECT_MARKS = ("pyproject.toml", "setup.py", "setup.cfg")
#: Folders that hold other people's projects, never one: a compose file left in a home folder
#: must not make it the repository of every checkout below it (and have it walked).
_NEVER_A_REPOSITORY = frozenset(
    os.path.abspath(folder) for folder in (os.sep, os.path.expanduser("~"), tempfile.gettempdir())
)
#: The name of the root service (files under no service folder).
ROOT_SERVICE = "."


def _marks(folder: str) -> tuple[bool, bool, bool]:
    """Whether ``folder`` holds ``.git``, a Python project's mark, a compose file."""
    try:
        names = os.listdir(folder)
    except OSError:  # unreadable, or a name the system cannot look up: nothing there
        return False, False, False
    return (
        ".git" in names,
        any(mark in names for mark in PROJECT_MARKS),
        any(COMPOSE_FILE.match(name) for name in names),
    )


class Repositories:
    """Finds each folder's repository, listing every folder above a file at most once per run.

    ``configured`` is the folder of a configuration with a ``services`` table: it bounds the
    services it names as a compose file does.
    """

    def __init__(self, configured: Path | None = None) -> None:
        self._marks: dict[str, tuple[bool, bool, bool]] = {}
        self._found: dict[str, Path | None] = {}
        self._configured = os.path.abspath(configured) if configured else None

    def of(self, folder: str | Path) -> Path | None:
        """The repository ``folder`` lies in (see the module's text), or None if none is found."""
        # Plain strings, not Path objects: this runs for every file of a cold run.
        start = os.path.abspath(folder)
        if start in self._found:
            return self._found[start]
        project: str | None = None
        deployed: str | None = None
        candidate = start
        # Each folder is listed once per run (``_marks``): many files share the way up.
        while candidate not in _NEVER_A_REPOSITORY:
            marks = self._marks.get(candidate)
            if marks is None:
                marks = self._marks[candidate] = _marks(candidate)
            git, python_project, compose = marks
            if project is None and (git or python_project):
                project = candidate
            if compose or candidate == self._configured:
                deployed = candidate  # the outermost wins: a service's own compose file is inside
            parent = os.path.dirname(candidate)
            if git or parent == candidate:
                break
            candidate = parent
        chosen = deployed or project
        found = Path(chosen) if chosen is not None else None
        self._found[start] = found
        return found


@dataclass(frozen=True)
class ServiceMap:
    """Which service each folder of one repository belongs to."""

    repository: Path
    #: Folders (absolute, normalised) that are services by the heuristics.
    folders: frozenset[str]
    #: Configured: folder or file (absolute) -> service name. Wins over the heuristics.
    configured: Mapping[str, str]
    #: The service of each folder asked about (a run asks once per file: many share a folder).
    _known: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def of(self, path: str | Path, *, folder: bool = False) -> str:
        """The service of a file (or of a ``folder``): a configured name, a folder relative to
        the repository (``services/api``), or ``ROOT_SERVICE``."""
        name = os.fspath(path)
        absolute = name if os.path.isabs(name) else os.path.abspath(name)
        if not self.configured:  # only a configured file (not its folder) can differ
            key = absolute if folder else os.path.dirname(absolute)
            known = self._known.get(key)
            if known is None:
                known = self._known[key] = self._of(absolute, folder)
            return known
        return self._of(absolute, folder)

    def _of(self, absolute: str, folder: bool) -> str:
        root = os.fspath(self.repository)
        candidate = absolute
        while (candidate + os.sep).startswith(root + os.sep):
            if candidate in self.configured:
                return self.configured[candidate]
            if candidate == root:
                break
            candidate = os.path.dirname(candidate)
        candidate = absolute if folder else os.path.dirname(absolute)
        while (candidate + os.sep).startswith(root + os.sep) and candidate != root:
            if candidate in self.folders:
                return Path(os.path.relpath(candidate, root)).as_posix()
            candidate = os.path.dirname(candidate)
        return ROOT_SERVICE


def service_map(
    repository: Path,
    marked: Iterable[str],
    configured: Mapping[str, Sequence[str]],
    config_folder: Path | None,
) -> ServiceMap:
    """The services of ``repository``: folders holding a service mark (or a compose service's
    build folder), and the configured table, whose paths are relative to ``config_folder``."""
    root = os.path.abspath(repository)
    folders = frozenset(
        os.path.abspath(folder)
        for folder in marked
        if (os.path.abspath(folder) + os.sep).startswith(root + os.sep)
    )
    base = os.path.abspath(config_folder or repository)
    named = {
        os.path.normpath(os.path.join(base, path)): name
        for name, paths in configured.items()
        for path in paths
    }
    return ServiceMap(Path(root), folders, named)
