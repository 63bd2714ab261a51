"""Cache keys: a digest of everything that decides a cached value besides its own input.

otel-lint's code and rule files (by their bytes, so an edited checkout is a new key), the
installed semantic-conventions package, and the OpenTelemetry distributions installed beside the
linter (the deployment rules read their entry points and stability modes, the correlation rules
the logging instrumentation's version when a project pins none): change any of them and an entry
is simply not found.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from otel_lint import __version__
from otel_lint.cache.store import cache_directory
from otel_lint.catalogue.files import rules_directory
from otel_lint.conventions.registry import package_root, package_version

_PACKAGE = Path(__file__).parents[1]


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
    installed = "\0".join(telemetry_distributions(sys.path))
    return environment_digest(_PACKAGE, rules_directory(), f"{registry}\0{installed}")


def telemetry_distributions(folders: Iterable[str]) -> list[str]:
    """The installed distributions' metadata folders (name and version, ``opentelemetry_sdk-1.39.0
    .dist-info``) whose name says OpenTelemetry, on the import path: listed, not read (a few ms).

    A vendor's exporter whose distribution does not name OpenTelemetry is not seen: its entry
    point still counts once the cache entry is rewritten (``otel-lint clean``, or an edit).
    """
    found = []
    for folder in folders:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue  # a zip, a folder that went away, or none at all
        found += [
            f"{folder}/{name}"
            for name in names
            if name.endswith((".dist-info", ".egg-info")) and "opentelemetry" in name.lower()
        ]
    return sorted(found)


def environment_digest(package: Path, rules: Path, registry: str) -> str:
    """otel-lint's sources and the rule files by their bytes (an edited checkout is a new key, not
    only a new release), and the semantic-conventions package as ``registry`` names it."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(__version__.encode())
    sources = [(package, path) for path in _files_under(package, (".py",))]
    for root, path in [*sources, *((rules, path) for path in _files_under(rules, (".yaml",)))]:
        name = f"{root.name}/{path.relative_to(root).as_posix()}"
        digest.update(b"\0" + name.encode("utf-8", "surrogateescape") + b"\0")
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    digest.update(b"\0" + registry.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def key_of(parts: Sequence[str], data: bytes = b"") -> str:
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
    return cache_directory() / kind / f"{key_of(parts)}.json"
