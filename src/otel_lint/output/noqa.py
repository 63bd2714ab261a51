"""``--add-noqa``: a ``# noqa: CODE`` comment on each line with a finding, to adopt a rule set
on a large codebase and fix the findings later.

A comment goes where Python allows one and where ``# noqa`` is read: at the end of the finding's
line, or, for a line inside a multi-line string or continued with a backslash, at the end of the
line its comment belongs to (``comment_places``). An existing ``# noqa: X`` there is extended
(``# noqa: X, OTL301``), as ruff does; a comment that is not a ``noqa`` is kept and the ``noqa``
follows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from otel_lint.engine.results import content_digest
from otel_lint.engine.suppressions import NoCommentPlace, comment_places
from otel_lint.findings import Finding
from otel_lint.output.fixes import FixPlan, UnwrittenFix, write_fix
from otel_lint.project.source import UnreadableSource, decode_source, encode_source
from otel_lint.regular_files import read_regular_file

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")
_NOQA_CODES = re.compile(
    r"#\s*noqa(?P<rest>:\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)


@dataclass(frozen=True)
class NoqaEdit:
    """The text with its comments added, how many codes were added, and the lines refused."""

    text: str
    added: int
    #: Lines with a finding that cannot be given a comment, and why.
    refused: tuple[tuple[int, str], ...] = ()


def _lines(text: str) -> list[str]:
    """The lines of ``text`` with their own line ends, numbered as CPython numbers them."""
    lines = _LINE.findall(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def _with_codes(line: str, comment_at: int | None, codes: list[str]) -> tuple[str, int]:
    """``line`` with ``codes`` in its ``# noqa``, and how many were not there before."""
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    comment = body[comment_at:] if comment_at is not None else ""
    noqa = _NOQA_CODES.search(comment)
    if noqa is not None and noqa.group("rest") is None:
        return line, 0  # a bare noqa comment already silences every code on the line
    if noqa is not None:
        present = [c.upper() for c in re.split(r"[,\s]+", noqa.group("codes")) if c]
        new = [code for code in codes if code not in present]
        if not new:
            return line, 0
        assert comment_at is not None
        start = comment_at + noqa.start()
        end = comment_at + noqa.end()
        merged = f"# noqa: {', '.join(present + new)}"
        return body[:start] + merged + body[end:] + ending, len(new)
    separator = "  " if body.strip() else ""
    return f"{body.rstrip(' ')}{separator}# noqa: {', '.join(codes)}{ending}", len(codes)


def add_noqa(text: str, codes_by_line: Mapping[int, Iterable[str]]) -> NoqaEdit:
    """``text`` with each line of ``codes_by_line`` given a ``# noqa`` for its codes."""
    try:
        places = comment_places(text)
    except NoCommentPlace as error:
        reason = f"Python cannot read where its comments may go ({error})"
        return NoqaEdit(text, 0, tuple((line, reason) for line in sorted(codes_by_line)))
    lines = _lines(text)
    wanted: dict[int, list[str]] = {}
    refused: list[tuple[int, str]] = []
    for line, codes in sorted(codes_by_line.items()):
        target = places.moved.get(line, line)
        if not 1 <= target <= len(lines):
            refused.append((line, "no line after it can hold a comment"))
            continue
        listed = wanted.setdefault(target, [])
        listed.extend(code for code in sorted(set(codes)) if code not in listed)
    added = 0
    for target, codes in wanted.items():
        lines[target - 1], count = _with_codes(
            lines[target - 1], places.comments.get(target), codes
        )
        added += count
    return NoqaEdit("".join(lines), added, tuple(refused))


@dataclass(frozen=True)
class NoqaRun:
    """What ``--add-noqa`` did to the files: comments added, lines refused, files not written."""

    added: int
    #: ``(path, line, reason)`` of each line left without its comment.
    refused: tuple[tuple[str, int, str], ...]
    #: ``(path, reason)`` of each file whose comments could not be written (left as it was).
    unwritten: tuple[tuple[str, str], ...]


#: Codes a noqa comment cannot or should not silence: an unreadable file, an unused noqa.
NOT_SILENCED = frozenset({"OTL000", "OTL001"})


def add_noqa_to_files(findings: Iterable[Finding], digests: Mapping[str, str]) -> NoqaRun:
    """Give every finding's line a ``# noqa`` for its code, in each file that still holds the
    bytes its findings judged (``digests``), written as ``--fix`` writes (``write_fix``)."""
    wanted: dict[str, dict[int, set[str]]] = {}
    for finding in findings:
        if finding.code not in NOT_SILENCED:
            wanted.setdefault(finding.path, {}).setdefault(finding.line, set()).add(finding.code)
    added = 0
    refused: list[tuple[str, int, str]] = []
    unwritten: list[tuple[str, str]] = []
    for label, lines in sorted(wanted.items()):
        path = Path(label)
        try:
            data = read_regular_file(path)
            source = decode_source(data)
        except (OSError, UnreadableSource) as error:
            unwritten.append((label, str(error)))
            continue
        if digests.get(label) not in (None, content_digest(data)):
            unwritten.append((label, "the file changed after it was checked"))
            continue
        edit = add_noqa(source.text, lines)
        refused.extend((label, line, reason) for line, reason in edit.refused)
        if not edit.added:
            continue
        try:
            after = encode_source(edit.text, source)
        except UnicodeEncodeError as error:
            unwritten.append((label, f"the comments cannot be written as {error.encoding}"))
            continue
        plan = FixPlan(label, path, data, after, source.text, edit.text, edit.added)
        written = write_fix(plan)
        if isinstance(written, UnwrittenFix):
            unwritten.append((label, written.reason))
        else:
            added += edit.added
    return NoqaRun(added, tuple(refused), tuple(unwritten))
