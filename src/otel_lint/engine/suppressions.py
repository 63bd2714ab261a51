"""``# noqa`` comments and file-level ``# otel-lint: file-ignore[...]`` directives."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

from otel_lint.project.source import source_lines

_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
_FILE_IGNORE = re.compile(r"#\s*otel-lint:\s*file-ignore(?:\[(?P<codes>[^\]]*)\])?")


@dataclass(frozen=True)
class Noqa:
    """A ``# noqa`` comment: on ``line``, for ``codes`` (empty: every code)."""

    line: int
    column: int
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Suppressions:
    by_line: dict[int, Noqa] = field(default_factory=dict)
    #: Codes or prefixes ignored for the whole file; ``("",)`` ignores everything.
    file_codes: tuple[str, ...] = ()
    #: Lines that cannot end in a comment (inside a multi-line string, before a backslash
    #: continuation) and the line whose comment speaks for them: ``comment_lines``.
    commented_on: dict[int, int] = field(default_factory=dict)

    def noqa_for(self, line: int) -> Noqa | None:
        """The ``# noqa`` that speaks for ``line``: its own, or the one where its comment goes."""
        own = self.by_line.get(line)
        if own is not None:
            return own
        elsewhere = self.commented_on.get(line)
        return None if elsewhere is None else self.by_line.get(elsewhere)

    def suppresses(self, code: str, line: int) -> bool:
        if any(code.startswith(prefix) for prefix in self.file_codes):
            return True
        noqa = self.noqa_for(line)
        return noqa is not None and (not noqa.codes or code in noqa.codes)


class NoCommentPlace(Exception):
    """Python cannot read the text's tokens, so where a comment is legal is unknown."""


@dataclass(frozen=True)
class CommentPlaces:
    """Where a comment can go: the lines that may end in one, and each comment already there."""

    #: Line -> the line whose end is the first place after it where a comment is legal.
    moved: dict[int, int]
    #: Line -> the column (0-based, in characters) where its comment starts.
    comments: dict[int, int]


def comment_places(text: str) -> CommentPlaces:
    """Where ``text`` may hold comments, from Python's own tokenizer.

    A line inside a multi-line string, or continued with a backslash, cannot end in a comment:
    one written there would be part of the string, or a syntax error. Its comment goes at the
    end of the first line after it that can hold one (the line a multi-line string ends on), as
    ruff places its ``# noqa``. Raises ``NoCommentPlace`` when the text cannot be tokenized.
    """
    legal: set[int] = set()
    comments: dict[int, int] = {}
    last = 1
    try:
        for token in tokenize.generate_tokens(io.StringIO(text, newline="").readline):
            last = max(last, token.end[0])
            if token.type in (tokenize.NEWLINE, tokenize.NL):
                legal.add(token.start[0])
            elif token.type == tokenize.COMMENT:
                legal.add(token.start[0])
                comments[token.start[0]] = token.start[1]
    except (tokenize.TokenError, SyntaxError, ValueError) as error:
        raise NoCommentPlace(str(error)) from None
    moved: dict[int, int] = {}
    following: int | None = None
    for line in range(last, 0, -1):
        if line in legal:
            following = line
        elif following is not None:
            moved[line] = following
    return CommentPlaces(moved, comments)


def _moved_comments(text: str) -> dict[int, int]:
    """``comment_places(text).moved`` where the text has a line that cannot hold a comment."""
    if not any(mark in text for mark in ('"""', "'''", "\\\n", "\\\r")):
        return {}  # every line can end in a comment: tokenizing would find nothing to move
    try:
        return comment_places(text).moved
    except NoCommentPlace:
        return {}


def _codes(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(code.upper() for code in re.split(r"[,\s]+", text.strip()) if code)


def find_suppressions(text: str) -> Suppressions:
    """Every suppression in ``text``. Cheap when there is none."""
    if "noqa" not in text and "otel-lint:" not in text:
        return Suppressions()
    by_line: dict[int, Noqa] = {}
    file_codes: list[str] = []
    #: Lines whose noqa comment follows a quote: it may be inside a string.
    doubtful: dict[int, str] = {}
    for number, line in enumerate(source_lines(text), start=1):
        if "#" not in line:
            continue
        directive = _FILE_IGNORE.search(line)
        if directive is not None:
            codes = _codes(directive.group("codes"))
            file_codes.extend(codes or ("",))
            continue
        noqa = _NOQA.search(line)
        if noqa is not None:
            by_line[number] = Noqa(number, noqa.start() + 1, _codes(noqa.group("codes")))
            if "'" in line[: noqa.start()] or '"' in line[: noqa.start()]:
                doubtful[number] = line
    if doubtful:
        _only_in_comments(text, by_line, doubtful)
    return Suppressions(by_line, tuple(file_codes), _moved_comments(text) if by_line else {})


def _only_in_comments(text: str, by_line: dict[int, Noqa], doubtful: dict[int, str]) -> None:
    """Keep only the ``# noqa`` of ``doubtful`` lines that is in a comment, not in a string
    (``x = "# noqa"; span.set_attribute(...)`` silences nothing). When Python cannot tokenize
    the text, the lines are read as written."""
    try:
        comments = comment_places(text).comments
    except NoCommentPlace:
        return
    for number, line in doubtful.items():
        start = comments.get(number)
        noqa = _NOQA.search(line, start) if start is not None else None
        if noqa is None:
            del by_line[number]
        else:
            by_line[number] = Noqa(number, noqa.start() + 1, _codes(noqa.group("codes")))
