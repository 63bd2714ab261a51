"""A cache of per-file results, so re-linting an unchanged tree costs a hash and a read per file.

An entry is keyed by the file's bytes, its label, the rule set, the selected codes, the settings
checks read, the registry version and otel-lint's version: change any of them and the entry is
simply not found. Entries are written atomically (a temporary file renamed into place), so a
concurrent or killed run leaves either a whole entry or none; an entry that cannot be read is
ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from otel_lint import __version__
from otel_lint.rule_model import load_rules, rules_version
from otel_lint.semconv import cache_directory, load_registry, write_atomically

if TYPE_CHECKING:
    from otel_lint.engine import FileResult, Job


@cache
def _environment_key() -> str:
    return f"{__version__}:{rules_version(load_rules())}:{load_registry().version}"


def entry_path(job: Job, data: bytes) -> Path:
    digest = hashlib.blake2b(digest_size=16)
    for part in (_environment_key(), job.target.label, repr(job.codes), repr(job.settings)):
        # surrogateescape: a file name that is not valid UTF-8 (b"\xff.py") is still a key.
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    digest.update(data)
    name = digest.hexdigest()
    return cache_directory() / "results" / name[:2] / name


def load(path: Path) -> FileResult | None:
    from otel_lint.engine import FileResult

    try:
        value = pickle.loads(path.read_bytes())
    except Exception:  # missing, truncated, or from another version: rebuild
        return None
    return value if isinstance(value, FileResult) else None


def store(path: Path, result: FileResult) -> None:
    with contextlib.suppress(OSError):  # an unwritable cache only costs speed
        write_atomically(path, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
