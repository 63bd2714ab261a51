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

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from otel_lint.cache.keys import key_of
from otel_lint.cache.store import cache_directory, read_value, write_value
from otel_lint.engine.results import FileResult, content_digest, dependencies_hold

if TYPE_CHECKING:
    from otel_lint.checks import CheckSettings
    from otel_lint.project.discovery import Target


def entry_path(label: str, codes: tuple[str, ...], settings: CheckSettings, data: bytes) -> Path:
    """Where the result of checking ``data`` as ``label`` with these codes and settings lives."""
    name = key_of((label, repr(codes), repr(settings)), data)
    return cache_directory() / "results" / name[:2] / name


def load(path: Path, digests: dict[str, str | None] | None = None) -> FileResult | None:
    """The entry at ``path``, unless a module of the project it read constants from changed."""
    result: FileResult | None = read_value(path, FileResult)
    if result is not None and not dependencies_hold(result, digests):
        return None
    return result


def store(path: Path, result: FileResult) -> None:
    write_value(path, FileResult, result)


def cached_results(
    targets: Sequence[Target], codes: tuple[str, ...], settings: CheckSettings
) -> dict[str, FileResult]:
    """The results the cache holds for ``targets``, by label; the rest must be checked.

    Runs in the main process before any worker starts: a warm run whose files are all here
    reads them and nothing else. A file that cannot be read is left to the check, which says why.
    """
    found: dict[str, FileResult] = {}
    digests: dict[str, str | None] = {}
    for target in targets:
        try:
            data = target.data if target.data is not None else target.path.read_bytes()
        except OSError:
            continue
        result = load(entry_path(target.label, codes, settings, data), digests)
        if result is not None:
            found[target.label] = replace(result, source_digest=content_digest(data))
    return found
