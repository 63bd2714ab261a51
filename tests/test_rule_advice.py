"""Advice that another rule contradicts: every fix, and every name a message suggests, applied to
the rule examples and linted again, raises no finding of the same family where it was applied."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from otel_lint.catalogue.model import load_rules
from otel_lint.conventions.registry import Registry
from otel_lint.engine.analysis import analyze_text, apply_suppressions
from otel_lint.engine.results import resolve
from otel_lint.findings import Finding

RULES = load_rules()

#: How a message names what to write instead; each pattern's group is the suggested name or unit.
_SUGGESTIONS = (
    re.compile(r"\buse `([^`]+)`"),
    re.compile(r'\buse "([^"]+)"'),
    re.compile(r"\bname it `([^`]+)`"),
    re.compile(r'\bare singular: "([^"]+)"'),
    re.compile(r'\bdurations are in "([^"]+)"'),
    re.compile(r"\blooks like the semantic-convention attribute `([^`]+)`"),
    re.compile(r'\bis defined with unit "([^"]+)"'),
)
_LITERAL = re.compile(r"""^(?P<open>[rRuU]?(?P<quote>['"]))(?P<value>.*)(?P=quote)$""", re.DOTALL)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _lint(text: str, registry: Registry) -> list[Finding]:
    result = apply_suppressions(analyze_text("example.py", text, RULES, registry), text)
    return list(resolve([result], set()).findings)


def _offset(text: str, line: int, column: int) -> int:
    lines = text.splitlines(keepends=True)
    return sum(len(previous) for previous in lines[: line - 1]) + column - 1


def suggestions(message: str) -> list[str]:
    """The names and units a message tells the reader to write instead, in order."""
    return [match.group(1) for pattern in _SUGGESTIONS for match in pattern.finditer(message)]


@dataclass(frozen=True)
class Advice:
    """One piece of advice applied: the new text and where the replacement now sits in it."""

    what: str
    text: str
    start: int
    end: int


def applied_advice(finding: Finding, text: str) -> Iterator[Advice]:
    """The finding's fix, and each suggested name written where the finding points."""
    if finding.fix is not None:
        fix = finding.fix
        start = fix.start_offset
        yield Advice(
            f"fix {fix.content!r}",
            text[:start] + fix.content + text[fix.end_offset :],
            start,
            start + len(fix.content),
        )
    start = _offset(text, finding.line, finding.column)
    end = _offset(text, finding.end_line, finding.end_column)
    written = text[start:end]
    literal = _LITERAL.match(written)
    for suggestion in suggestions(finding.message):
        if literal is not None:
            replacement = literal.group("open") + suggestion + literal.group("quote")
        elif _NAME.match(written):  # a constant: the key it stands for, written as a literal
            replacement = f'"{suggestion}"'
        else:
            continue
        yield Advice(
            f"suggestion {suggestion!r}",
            text[:start] + replacement + text[end:],
            start,
            start + len(replacement),
        )


def _family(code: str) -> str:
    return code[:4]


def contradictions(text: str, registry: Registry) -> list[str]:
    """Findings that a piece of advice given on ``text`` raises where it is applied."""
    found = []
    for finding in _lint(text, registry):
        for advice in applied_advice(finding, text):
            for again in _lint(advice.text, registry):
                if _family(again.code) != _family(finding.code):
                    continue
                start = _offset(advice.text, again.line, again.column)
                end = _offset(advice.text, again.end_line, again.end_column)
                if start < advice.end and advice.start < end:
                    found.append(f"{finding.code} {advice.what} -> {again.code}: {again.message}")
    return found


def _examples() -> Iterator[object]:
    for rule in RULES:
        for number, example in enumerate(rule.examples.invalid, start=1):
            if example.code is not None:
                yield pytest.param(example.code, id=f"{rule.code}-invalid-{number}")


@pytest.mark.parametrize("text", list(_examples()))
def test_advice_on_a_rule_example_raises_nothing_of_its_family(
    text: str, registry: Registry
) -> None:
    assert contradictions(text, registry) == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('span.set_attribute("userId", user.id)\n', id="camel-case-near-miss"),
        pytest.param('span.set_attribute("httpMethod", "GET")\n', id="camel-case-deprecated"),
        pytest.param('span.set_attribute("café.naïve", 1)\n', id="accents"),
        pytest.param('span.set_attribute("straße.größe", 1)\n', id="sharp-s"),
        pytest.param(
            'meter.create_histogram("acme.checkout.duration", unit="milliseconds")\n',
            id="milliseconds",
        ),
        pytest.param('meter.create_histogram("acme.poll", unit="minutes")\n', id="minutes"),
        pytest.param('meter.create_counter("cacheHitsTotal")\n', id="malformed-total"),
        pytest.param('meter.create_histogram("checkoutLatencyMs", unit="s")\n', id="camel-unit"),
    ],
)
def test_advice_named_in_the_issue_raises_nothing_of_its_family(
    text: str, registry: Registry
) -> None:
    assert _lint(text, registry), "the case no longer raises a finding: it tests nothing"
    assert contradictions(text, registry) == []


@pytest.mark.parametrize(
    ("key", "suggested"),
    [
        ("userId", "user.id"),
        ("café.naïve", "cafe.naive"),
        ("straße.größe", "strasse.grosse"),
        ("用户", None),
        ("acme.用户_id", None),
    ],
)
def test_a_malformed_key_is_advised_in_words_a_person_meant(
    key: str, suggested: str | None, registry: Registry
) -> None:
    from otel_lint.conventions.naming import IssueKind, check_attribute_key

    (malformed,) = [i for i in check_attribute_key(key, registry) if i.kind is IssueKind.MALFORMED]
    assert malformed.suggestion == suggested
    assert ("use `" in malformed.message) == (suggested is not None)


def test_a_time_unit_that_is_not_ucum_is_advised_in_seconds(registry: Registry) -> None:
    from otel_lint.conventions.naming import check_unit

    for unit in ("milliseconds", "microseconds", "nanoseconds", "minutes", "hours"):
        (issue,) = check_unit(unit, registry, "acme.wait")
        assert issue.suggestion == "s", unit
        assert 'use "s"' in issue.message, issue.message
