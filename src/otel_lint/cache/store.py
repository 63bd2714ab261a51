"""The one store behind every cache: where it lives, how an entry is read and written.

Entries are written atomically (a temporary file renamed into place), so a concurrent or killed
run leaves a whole entry or none; an entry that cannot be read is a miss, rebuilt by the caller.
This module imports nothing else of otel-lint: every layer that remembers something stores it
here.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import TypeVar

DAY = 24 * 3600.0
_T = TypeVar("_T")


def cache_directory() -> Path:
    """Where caches live: ``OTEL_LINT_CACHE_DIR`` or the platform's user cache directory."""
    configured = os.environ.get("OTEL_LINT_CACHE_DIR")
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("otel-lint", appauthor=False))


def read_entry(path: Path) -> bytes:
    """The bytes of a cache entry, renewing its modification time when that is a day old, so
    entries in use are never pruned. Raises OSError as reading does."""
    with open(path, "rb") as stream:
        data = stream.read()
        modified = os.fstat(stream.fileno()).st_mtime
    if time.time() - modified > DAY:
        with contextlib.suppress(OSError):
            os.utime(path)
    return data


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


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
