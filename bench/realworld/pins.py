"""The pinned package list (``packages.toml``): which release of which project is linted."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

PACKAGES_FILE = Path(__file__).with_name("packages.toml")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class PinsError(Exception):
    """``packages.toml`` is not a list of ``[[package]]`` tables with a name and a version."""


@dataclass(frozen=True)
class Pin:
    """One project at one release, as the package index names it."""

    name: str
    version: str
    # What is downloaded. The sdist by default; a wheel for a project whose sdist pip cannot read
    # without a compiler toolchain. Pinned, so every machine lints the same tree.
    archive: Literal["sdist", "wheel"] = "sdist"

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


def parse_pins(text: str) -> tuple[Pin, ...]:
    """The pins of a ``packages.toml`` document, in file order; names are unique."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PinsError(f"not TOML: {error}") from error
    tables = document.get("package")
    if not isinstance(tables, list):
        raise PinsError("expected [[package]] tables")
    pins: list[Pin] = []
    seen: set[str] = set()
    for table in tables:
        name, version = table.get("name"), table.get("version")
        if not (isinstance(name, str) and _NAME.fullmatch(name)):
            raise PinsError(f"a [[package]] without a valid name: {table!r}")
        if not (isinstance(version, str) and _NAME.fullmatch(version)):
            raise PinsError(f"{name}: a version is required, and pinned exactly")
        archive = table.get("archive", "sdist")
        if archive not in ("sdist", "wheel"):
            raise PinsError(f'{name}: archive is "sdist" or "wheel", not {archive!r}')
        if name in seen:
            raise PinsError(f"{name} is listed twice")
        seen.add(name)
        pins.append(Pin(name, version, archive))
    return tuple(pins)


def load_pins(path: Path = PACKAGES_FILE) -> tuple[Pin, ...]:
    return parse_pins(path.read_text(encoding="utf-8"))
