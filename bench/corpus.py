"""The benchmark corpus: real code nobody here wrote, fetched with pip and cached outside the repo.

Django's source distribution (pinned) and the source distributions of about twenty contrib
instrumentations (pinned to one release train). Nothing of it is committed; it lives under
``$OTEL_LINT_BENCH_CACHE`` (default ``~/.cache/otel-lint-bench``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

DJANGO = "django==5.2.8"
INSTRUMENTATION_VERSION = "0.66b1"
INSTRUMENTATIONS = (
    "aiohttp-client",
    "asgi",
    "botocore",
    "celery",
    "dbapi",
    "django",
    "fastapi",
    "flask",
    "grpc",
    "httpx",
    "jinja2",
    "logging",
    "psycopg2",
    "pymongo",
    "redis",
    "requests",
    "sqlalchemy",
    "starlette",
    "tornado",
    "urllib3",
    "wsgi",
)


@dataclass(frozen=True)
class Corpus:
    root: Path
    python_files: int
    lines: int
    packages: tuple[str, ...]
    skipped: tuple[str, ...]


def cache_root() -> Path:
    configured = os.environ.get("OTEL_LINT_BENCH_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "otel-lint-bench"


def requirements() -> list[str]:
    return [DJANGO] + [
        f"opentelemetry-instrumentation-{name}=={INSTRUMENTATION_VERSION}"
        for name in INSTRUMENTATIONS
    ]


def _download(requirement: str, into: Path) -> bool:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--no-binary",
        ":all:",
        "--dest",
        str(into),
        requirement,
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"  skipping {requirement}: no source distribution ({last})", file=sys.stderr)
        return False
    return True


def _archive_for(requirement: str, folder: Path) -> Path | None:
    name, _, version = requirement.partition("==")
    stem = f"{name.replace('-', '_')}-{version}".lower()
    for path in folder.iterdir():
        lowered = path.name.lower()
        if lowered.startswith(stem) and lowered.endswith((".tar.gz", ".zip")):
            return path
    return None


def _extract(archive: Path, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    if archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as packed:
            packed.extractall(into)
    else:
        with tarfile.open(archive) as packed:
            packed.extractall(into, filter="data")


def fetch() -> Corpus:
    """Download (once) and extract (once) every source distribution; return the tree."""
    cache = cache_root()
    archives = cache / "sdists"
    tree = cache / "corpus"
    archives.mkdir(parents=True, exist_ok=True)
    packages: list[str] = []
    skipped: list[str] = []
    for requirement in requirements():
        archive = _archive_for(requirement, archives)
        if archive is None and _download(requirement, archives):
            archive = _archive_for(requirement, archives)
        if archive is None:
            skipped.append(requirement)
            continue
        target = tree / requirement.replace("==", "-")
        if not target.exists():
            partial = target.parent / f"{target.name}.partial"
            _extract(archive, partial)
            partial.rename(target)
        packages.append(requirement)
    files = sorted(tree.rglob("*.py"))
    lines = sum(path.read_bytes().count(b"\n") for path in files)
    return Corpus(tree, len(files), lines, tuple(packages), tuple(skipped))


if __name__ == "__main__":
    corpus = fetch()
    print(
        f"{corpus.root}: {corpus.python_files} files, {corpus.lines} lines, "
        f"{len(corpus.packages)} packages, skipped {list(corpus.skipped)}"
    )
