"""The one store behind every cache: where it lives, how an entry is read and written.

Entries are written atomically (a temporary file renamed into place), so a concurrent or killed
run leaves a whole entry or none; an entry that cannot be read is a miss, rebuilt by the caller.
Entries are plain JSON checked against their types when read (``plain``), never pickles.
This module imports nothing else of otel-lint: every layer that remembers something stores it
here.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from otel_lint.cache.plain import from_plain, to_plain

DAY = 24 * 3600.0


def cache_directory() -> Path:
    """Where caches live: ``OTEL_LINT_CACHE_DIR`` or the platform's user cache directory."""
    configured = os.environ.get("OTEL_LINT_CACHE_DIR")
    if configured:
        return Path(configured)
    # Here, not at the top: most runs in CI and tests name the directory.
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


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never a part;
    with ``mode``, the file gets that mode (else mkstemp's 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def read_value(path: Path, kind: Any) -> Any:
    """The value of type ``kind`` stored at ``path``, or None if it is missing, damaged or of
    another shape: whoever can write the cache can make a run slower, never run code."""
    try:
        return from_plain(kind, json.loads(read_entry(path)))
    except (OSError, ValueError, TypeError, RecursionError):
        return None  # missing, truncated, planted, from another version: rebuilt by the caller


def write_value(path: Path, kind: Any, value: object) -> None:
    """Store ``value`` (of type ``kind``) at ``path`` atomically as JSON; an unwritable cache
    only costs time."""
    with contextlib.suppress(OSError, ValueError, TypeError):
        data = json.dumps(to_plain(kind, value), ensure_ascii=True, separators=(",", ":"))
        write_atomically(path, data.encode("ascii"))
