"""Downloads a pinned release from the package index and unpacks it, once, into a cache folder.

Nothing downloaded is committed, and nothing in it is run: the archive is only unpacked, and the
unpacking refuses any member that would land outside its folder (or is a link or a device).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from realworld.pins import Pin

DEFAULT_CACHE = Path.home() / ".cache" / "otel-lint-realworld"
_SDIST_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")


class FetchError(Exception):
    """A release could not be downloaded or unpacked; the message names the package."""


def source_root(pin: Pin, cache: Path) -> Path:
    """The unpacked source tree of ``pin`` (downloaded and unpacked on first use)."""
    unpacked = cache / "unpacked" / f"{pin.name}-{pin.version}-{pin.archive}"
    if not unpacked.is_dir():
        archive = _download(pin, cache / "archives")
        _unpack_atomically(archive, unpacked, pin)
    return _project_root(unpacked)


def _download(pin: Pin, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    existing = _archive_in(folder, pin)
    if existing is not None:
        return existing
    # `--no-binary` names only the package: pip prepares an sdist's metadata, and with `:all:` it
    # would build the build backend from source as well.
    if pin.archive == "sdist":
        binary_option = ["--no-binary", pin.name]
    else:
        binary_option = ["--only-binary", ":all:"]
    with tempfile.TemporaryDirectory(dir=folder) as landing:
        command = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
            "--disable-pip-version-check", *binary_option, "--dest", landing, pin.requirement,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        archive = _archive_in(Path(landing), pin)
        if done.returncode == 0 and archive is not None:
            target = folder / archive.name
            os.replace(archive, target)
            return target
    errors = [line.strip() for line in done.stderr.splitlines() if "error" in line.lower()]
    detail = errors[-1] if errors else f"pip exited {done.returncode} without a {pin.archive}"
    raise FetchError(f"{pin.requirement}: could not download its {pin.archive} ({detail})")


def _archive_in(folder: Path, pin: Pin) -> Path | None:
    suffixes = (".whl",) if pin.archive == "wheel" else _SDIST_SUFFIXES
    # Index file names normalise the project name (`-` or `.` to `_`, sometimes lower case);
    # the version after it keeps `opentelemetry-instrumentation-aiohttp` from matching `..._server`.
    wanted = _normalised(f"{pin.name}-{pin.version}-")
    for candidate in sorted(folder.iterdir()):
        name = _normalised(candidate.name)
        if name.startswith(wanted) and candidate.name.endswith(suffixes):
            return candidate
    return None


def _normalised(file_name: str) -> str:
    return file_name.lower().replace("-", "_").replace(".", "_")


def _unpack_atomically(archive: Path, into: Path, pin: Pin) -> None:
    # Unpacked beside the target and renamed: an interrupted run never leaves half a tree that
    # a later run would take for a whole one.
    into.parent.mkdir(parents=True, exist_ok=True)
    landing = Path(tempfile.mkdtemp(dir=into.parent, prefix=f".{into.name}-"))
    try:
        unpack(archive, landing)
        os.replace(landing, into)
    except (OSError, tarfile.TarError, zipfile.BadZipFile, UnsafeArchive) as error:
        raise FetchError(f"{pin.requirement}: could not unpack {archive.name}: {error}") from error
    finally:
        if landing.exists():
            shutil.rmtree(landing)


class UnsafeArchive(Exception):
    """An archive member that would be written outside the folder, or is not a plain file."""


def unpack(archive: Path, into: Path) -> None:
    """Unpack ``archive`` (a tar or a zip/wheel) into ``into``, refusing unsafe members."""
    if archive.name.endswith((".zip", ".whl")):
        with zipfile.ZipFile(archive) as packed:
            for name in packed.namelist():
                check_member_name(name)
            packed.extractall(into)
        return
    with tarfile.open(archive) as packed:
        # Links and devices are left out: the linter reads only regular files, and a link is the
        # one member that can point outside the folder after its name was checked.
        members = [member for member in packed.getmembers() if member.isfile() or member.isdir()]
        for member in members:
            check_member_name(member.name)
        if hasattr(tarfile, "data_filter"):
            packed.extractall(into, members=members, filter="data")
        else:  # Pythons before the extraction filters: the members were all checked above
            packed.extractall(into, members=members)


def check_member_name(name: str) -> None:
    """Refuse a member name that is absolute or climbs out of the folder it is unpacked in."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise UnsafeArchive(f"{name}: would be written outside the folder")


def _project_root(unpacked: Path) -> Path:
    # An sdist holds one folder, `name-version/`, which is the project; a wheel is its own root.
    entries = [entry for entry in unpacked.iterdir() if not entry.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return unpacked
