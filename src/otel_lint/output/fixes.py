"""Applying safe fixes to source text, and writing the result without risking the user's file."""

from __future__ import annotations

import ast
import contextlib
import errno
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from io import FileIO
from pathlib import Path

from ast_grep_py import SgRoot

from otel_lint.engine.analysis import syntax_error
from otel_lint.findings import Finding, Fix
from otel_lint.project.source import UnreadableSource, decode_source, encode_source, parser_text
from otel_lint.regular_files import read_regular_file


@dataclass(frozen=True)
class FixOutcome:
    text: str
    applied: int
    #: How many of the applied fixes each rule gave: ``((code, name), count)``, by code.
    by_rule: tuple[tuple[tuple[str, str], int], ...] = ()


@dataclass(frozen=True)
class FixedFile:
    path: str
    fixes: int
    by_rule: tuple[tuple[tuple[str, str], int], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class FixPlan:
    """The fixes one file would get: its bytes now and the bytes it would hold (nothing written)."""

    label: str
    path: Path
    before: bytes
    after: bytes
    old_text: str
    new_text: str
    fixes: int
    by_rule: tuple[tuple[tuple[str, str], int], ...] = ()


@dataclass(frozen=True)
class UnwrittenFix:
    """Fixes that could not be written; the file was left as it was."""

    path: str
    reason: str


def _non_overlapping(fixes: Iterable[Fix]) -> list[Fix]:
    """The fixes to apply together: of overlapping ones, the first wins."""
    chosen: list[Fix] = []
    end = -1
    for fix in sorted(fixes, key=lambda f: (f.start_offset, f.end_offset)):
        if fix.start_offset >= end:
            chosen.append(fix)
            end = fix.end_offset
    return chosen


def _apply(text: str, fix: Fix) -> str:
    return text[: fix.start_offset] + fix.content + text[fix.end_offset :]


def apply_fixes(text: str, fixes: Iterable[Fix]) -> FixOutcome:
    """Apply non-overlapping fixes (the first of overlapping ones wins), right to left."""
    chosen = _non_overlapping(fixes)
    for fix in reversed(chosen):
        text = _apply(text, fix)
    return FixOutcome(text, len(chosen))


def parses(text: str) -> bool:
    return syntax_error(SgRoot(parser_text(text), "python").root()) is None


def _compiles(text: str) -> bool:
    """Whether this interpreter reads ``text`` as Python (tree-sitter accepts more: nested
    f-string quotes before Python 3.12, for one)."""
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def fix_until_stable(
    text: str,
    lint: Callable[[str], list[Finding]],
    rounds: int = 5,
    python: bool = True,
) -> FixOutcome:
    """Fix, re-lint and fix again until nothing changes; never return text that does not parse.

    Parsing means tree-sitter's reading, and also this interpreter's when the original text meets
    it. When a round's fixes together break the text, each is tried alone and kept only if the
    text still parses; fixing stops when none can be kept.
    """
    strict = python and _compiles(text)

    def sound(candidate: str) -> bool:
        # A deployment file's fixes replace a key inside a value: nothing there to parse.
        return not python or (parses(candidate) and (not strict or _compiles(candidate)))

    total = 0
    rules: Counter[tuple[str, str]] = Counter()
    for _ in range(rounds):
        found = [f for f in lint(text) if f.fix is not None]
        rule_of = {f.fix: (f.code, f.name) for f in found if f.fix is not None}
        fixes = list(rule_of)
        if not fixes:
            break
        chosen = _non_overlapping(fixes)
        outcome = apply_fixes(text, chosen)
        if outcome.text == text:
            break
        if not sound(outcome.text):
            chosen = _one_by_one(text, fixes, sound)
            outcome = apply_fixes(text, chosen)
            if not outcome.applied:
                break
        text, total = outcome.text, total + outcome.applied
        rules.update(rule_of[fix] for fix in chosen)
    return FixOutcome(text, total, tuple(sorted(rules.items())))


def _one_by_one(text: str, fixes: Iterable[Fix], sound: Callable[[str], bool]) -> list[Fix]:
    """The fixes that each leave the text sound, tried right to left (earlier offsets hold)."""
    kept = []
    for fix in reversed(_non_overlapping(fixes)):
        candidate = _apply(text, fix)
        if candidate != text and sound(candidate):
            text = candidate
            kept.append(fix)
    return kept


class _ChangedMeanwhile(Exception):
    """The file no longer holds the bytes the fixes were computed from."""


def plan_fix(
    label: str,
    path: Path,
    lint: Callable[[str], list[Finding]],
    data: bytes | None = None,
    *,
    python: bool = True,
) -> FixPlan | UnwrittenFix | None:
    """The fixes of one file (read from ``path`` unless its ``data`` is given), not written;
    None when there is nothing to fix or the file can no longer be read. ``python``: the file is
    Python source, and each round of fixes must leave it parsing (see ``fix_until_stable``).

    The fixed text is encoded as the file was (its coding cookie's encoding, its BOM; line endings
    are never touched).
    """
    try:
        if data is None:
            data = read_regular_file(path)
        source = decode_source(data)
    except (OSError, UnreadableSource):
        return None  # it went away or changed into something else since it was checked
    outcome = fix_until_stable(source.text, lint, python=python)
    if not outcome.applied or outcome.text == source.text:
        return None
    try:
        after = encode_source(outcome.text, source)
    except UnicodeEncodeError as error:
        return UnwrittenFix(label, f"the fixed text cannot be written as {error.encoding}")
    return FixPlan(
        label, path, data, after, source.text, outcome.text, outcome.applied, outcome.by_rule
    )


def write_fix(plan: FixPlan) -> FixedFile | UnwrittenFix:
    """Write a planned fix over its file, which must still hold the bytes it was planned from.

    The file is replaced atomically, so it holds either its old bytes or the new ones, whatever
    happens meanwhile. A file with other hard links is written in place instead, and its old bytes
    are written back if that fails.
    """
    try:
        _replace(plan.path, plan.before, plan.after)
    except _ChangedMeanwhile:
        return UnwrittenFix(plan.label, "the file changed while it was being fixed")
    except OSError as error:
        return UnwrittenFix(plan.label, error.strerror or str(error))
    return FixedFile(plan.label, plan.fixes, plan.by_rule)


def fix_file(
    label: str, path: Path, lint: Callable[[str], list[Finding]], *, python: bool = True
) -> FixedFile | UnwrittenFix | None:
    """Fix one file in place; None when there is nothing to fix or it can no longer be read."""
    plan = plan_fix(label, path, lint, python=python)
    return write_fix(plan) if isinstance(plan, FixPlan) else plan


def _replace(path: Path, expected: bytes, data: bytes) -> None:
    """Write ``data`` over ``path`` if it still holds ``expected``, or leave it as it was.

    The new bytes go to a temporary file beside the real file (through a symlink, not over it),
    reach the disk, take the file's mode and owner, and only then are renamed over it. A file with
    other hard links is written in place instead, as ruff and black write: a rename would give
    this name a new file and leave the other names holding the old text.
    """
    real = path.resolve()
    status = real.stat()
    _may_write(real, status)
    if status.st_nlink > 1:
        _overwrite(real, expected, data)
        return
    # A short fixed prefix: a name near the 255-byte limit must not make the temporary's too long.
    handle, temporary = tempfile.mkstemp(dir=real.parent, prefix=".otel-lint-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, stat.S_IMODE(status.st_mode))
        with contextlib.suppress(OSError):  # only root may give a file to another user
            os.chown(temporary, status.st_uid, status.st_gid)
        written = os.stat(temporary)
        if (written.st_uid, written.st_gid) != (status.st_uid, status.st_gid):
            # Another user's file in a folder we may write: a rename would make it ours. Write
            # into the file itself, as its owner's permissions allow (checked above).
            os.unlink(temporary)
            _overwrite(real, expected, data)
            return
        if read_regular_file(real) != expected:
            raise _ChangedMeanwhile
        os.replace(temporary, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _may_write(path: Path, status: os.stat_result) -> None:
    """PermissionError unless the user could open ``path`` for writing (renaming a new file over
    it needs only the folder's permission, and would get round the file's own).

    A file nobody may write (mode 0444) is left alone even by root, as a read-only file is a
    statement. Opening for writing without truncating changes nothing in the file.
    """
    if not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise PermissionError(errno.EACCES, "the file is read-only", os.fspath(path))
    descriptor = os.open(path, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0))
    os.close(descriptor)


def _overwrite(path: Path, expected: bytes, data: bytes) -> None:
    """Write ``data`` into ``path`` itself (every hard link sees it) if it still holds ``expected``.

    If the write fails partway (a full disk, a size limit), the old bytes are written back before
    the error is raised: they fit in the space the file already had.
    """
    with open(path, "r+b", buffering=0) as stream:
        if stream.read() != expected:
            raise _ChangedMeanwhile
        try:
            _write_from_start(stream, data)
        except BaseException:
            _write_from_start(stream, expected)
            raise


def _write_from_start(stream: FileIO, data: bytes) -> None:
    stream.seek(0)
    view = memoryview(data)
    while view:  # unbuffered: a short write says how much reached the file
        view = view[stream.write(view) or 0 :]
    stream.truncate()
    os.fsync(stream.fileno())
