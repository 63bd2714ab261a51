"""A cache of per-file results, so re-linting an unchanged tree costs a hash and a read per file.

An entry is keyed by the file's bytes, its label, the selected codes, the settings checks read,
and the environment: otel-lint's own code, the rule files and the semantic-conventions package.
Change any of them and the entry is simply not found. The environment is digested from bytes
(the package's sources, the rule files) rather than from loaded rules, so a run that finds every
file in the cache never parses a rule or imports the parser. Entries are written atomically (a
temporary file renamed into place), so a concurrent or killed run leaves either a whole entry or
none; an entry that cannot be read is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from otel_lint import __version__
from otel_lint.cache_upkeep import cache_directory, read_entry
from otel_lint.results import FileResult
from otel_lint.rule_files import rules_directory
from otel_lint.semconv import package_root, package_version, write_atomically

if TYPE_CHECKING:
    from otel_lint.checks import CheckSettings
    from otel_lint.discovery import Target
    from otel_lint.engine import Job

_PACKAGE = Path(__file__).parent
_T = TypeVar("_T")


def _files_under(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    found = []
    for directory, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if f != "__pycache__")
        found += [Path(directory, name) for name in sorted(files) if name.endswith(suffixes)]
    return found


@cache
def environment_key() -> str:
    """A digest of all that decides a file's result besides the file (``environment_digest``)."""
    root = package_root()
    registry = "missing" if root is None else f"{package_version(root)}:{root}"
    return environment_digest(_PACKAGE, rules_directory(), registry)


def environment_digest(package: Path, rules: Path, registry: str) -> str:
    """otel-lint's sources and the rule files by their bytes (an edited checkout is a new key, not
    only a new release), and the semantic-conventions package as ``registry`` names it."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(__version__.encode())
    for path in [*_files_under(package, (".py",)), *_files_under(rules, (".yaml",))]:
        name = path.relative_to(path.parents[1]).as_posix()
        digest.update(b"\0" + name.encode("utf-8", "surrogateescape") + b"\0")
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    digest.update(b"\0" + registry.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _key(parts: Sequence[str], data: bytes = b"") -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in (environment_key(), *parts):
        # surrogateescape: a file name that is not valid UTF-8 (b"\xff.py") is still a key.
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(data)
    return digest.hexdigest()


def keyed_path(kind: str, *parts: str) -> Path:
    """Where an entry of ``kind`` (``context``, ``config``, ``rules``) keyed by ``parts`` and the
    environment lives: anything otel-lint's code, rules or registry decide is keyed by them too."""
    return cache_directory() / kind / f"{_key(parts)}.pickle"


def read_pickled(path: Path, kind: type[_T]) -> _T | None:
    """The value pickled at ``path`` if it is a ``kind``; None if it is missing or damaged."""
    try:
        value = pickle.loads(read_entry(path))
    except Exception:  # missing, truncated, from another version: rebuilt by the caller
        return None
    return value if isinstance(value, kind) else None


def write_pickled(path: Path, value: object) -> None:
    """Store ``value`` at ``path`` atomically; an unwritable cache only costs time."""
    with contextlib.suppress(OSError):
        write_atomically(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def entry_path(job: Job, data: bytes) -> Path:
    return _entry_path(job.target.label, job.codes, job.settings, data)


def _entry_path(label: str, codes: tuple[str, ...], settings: CheckSettings, data: bytes) -> Path:
    name = _key((label, repr(codes), repr(settings)), data)
    return cache_directory() / "results" / name[:2] / name


def load(path: Path) -> FileResult | None:
    return read_pickled(path, FileResult)


def store(path: Path, result: FileResult) -> None:
    write_pickled(path, result)


def cached_results(
    targets: Sequence[Target], codes: tuple[str, ...], settings: CheckSettings
) -> dict[str, FileResult]:
    """The results the cache holds for ``targets``, by label; the rest must be checked.

    Runs in the main process before any worker starts: a warm run whose files are all here
    reads them and nothing else. A file that cannot be read is left to the check, which says why.
    """
    found: dict[str, FileResult] = {}
    for target in targets:
        try:
            data = target.path.read_bytes()
        except OSError:
            continue
        result = load(_entry_path(target.label, codes, settings, data))
        if result is not None:
            found[target.label] = result
    return found
