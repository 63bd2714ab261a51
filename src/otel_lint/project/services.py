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
from dataclasses import dataclass
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
    Path(os.path.abspath(folder))
    for folder in (os.sep, os.path.expanduser("~"), tempfile.gettempdir())
)
#: The name of the root service (files under no service folder).
ROOT_SERVICE = "."


def _names(folder: Path, listed: dict[Path, frozenset[str]]) -> frozenset[str]:
    names = listed.get(folder)
    if names is None:
        try:
            names = frozenset(os.listdir(folder))
        except OSError:  # unreadable, or a name the system cannot look up: nothing there
            names = frozenset()
        listed[folder] = names
    return names


class Repositories:
    """Finds each folder's repository, listing every folder above a file at most once per run.

    ``configured`` is the folder of a configuration with a ``services`` table: it bounds the
    services it names as a compose file does.
    """

    def __init__(self, configured: Path | None = None) -> None:
        self._listed: dict[Path, frozenset[str]] = {}
        self._found: dict[Path, Path | None] = {}
        self._configured = Path(os.path.abspath(configured)) if configured else None

    def of(self, folder: Path) -> Path | None:
        """The repository ``folder`` lies in (see the module's text), or None if none is found."""
        folder = Path(os.path.abspath(folder))
        if folder in self._found:
            return self._found[folder]
        project: Path | None = None
        deployed: Path | None = None
        # Each folder is listed once per run (``_listed``): many files share the way up.
        for candidate in (folder, *folder.parents):
            if candidate in _NEVER_A_REPOSITORY:
                break
            names = _names(candidate, self._listed)
            if project is None and (".git" in names or any(m in names for m in PROJECT_MARKS)):
                project = candidate
            if candidate == self._configured or any(COMPOSE_FILE.match(n) for n in names):
                deployed = candidate  # the outermost wins: a service's own compose file is inside
            if ".git" in names:
                break
        found = deployed or project
        self._found[folder] = found
        return found


@dataclass(frozen=True)
class ServiceMap:
    """Which service each folder of one repository belongs to."""

    repository: Path
    #: Folders (absolute, normalised) that are services by the heuristics.
    folders: frozenset[str]
    #: Configured: folder or file (absolute) -> service name. Wins over the heuristics.
    configured: Mapping[str, str]

    def of(self, path: str | Path, *, folder: bool = False) -> str:
        """The service of a file (or of a ``folder``): a configured name, a folder relative to
        the repository (``services/api``), or ``ROOT_SERVICE``."""
        absolute = os.path.abspath(path)
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
