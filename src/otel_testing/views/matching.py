"""How an expected name or attribute value is compared with a captured one.

An expectation can be a plain value, a compiled ``re.Pattern`` (full match against the text), a
predicate, or ``ANY``. The same rules serve span, log and metric queries and every assertion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final


class _Anything:
    """Matches every value, including None; reads as ``ANY`` in messages."""

    _instance: _Anything | None = None

    def __new__(cls) -> _Anything:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ANY"

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0


ANY: Final = _Anything()

Expected = Any


def _normalised(value: object) -> object:
    # The SDK stores sequence attributes as tuples; a test naturally writes lists.
    if isinstance(value, list):
        return tuple(value)
    return value


def matches(expected: Expected, actual: object) -> bool:
    """Whether ``actual`` satisfies ``expected`` (value, pattern, predicate or ANY)."""
    if expected is ANY:
        return True
    if isinstance(expected, re.Pattern):
        return isinstance(actual, str) and expected.fullmatch(actual) is not None
    if callable(expected) and not isinstance(expected, type):
        try:
            return bool(expected(actual))
        except Exception:
            return False
    return _normalised(expected) == _normalised(actual)


def describe(expected: Expected) -> str:
    """A short text for an expectation, as a message shows it."""
    if isinstance(expected, re.Pattern):
        return f"re.compile({expected.pattern!r})"
    if callable(expected) and not isinstance(expected, type) and expected is not ANY:
        return f"<predicate {getattr(expected, '__name__', repr(expected))}>"
    return repr(expected)


def attributes_match(expected: Mapping[str, Expected], actual: Mapping[str, Any]) -> bool:
    """Every expected key is present and matches; other captured keys are allowed."""
    return all(key in actual and matches(value, actual[key]) for key, value in expected.items())


def attribute_mismatches(
    expected: Mapping[str, Expected], actual: Mapping[str, Any]
) -> list[tuple[str, Expected, object]]:
    """(key, expected, actual) for each expected key that is missing or different."""
    missing: object = _MISSING
    return [
        (key, value, actual.get(key, missing))
        for key, value in expected.items()
        if key not in actual or not matches(value, actual[key])
    ]


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Final = _Missing()


def attribute_closeness(expected: Mapping[str, Expected], actual: Mapping[str, Any]) -> int:
    """How many expected attributes ``actual`` satisfies: for ordering candidates, closest first."""
    return sum(
        1 for key, value in expected.items() if key in actual and matches(value, actual[key])
    )


def sequence_contains_in_order(expected: Sequence[Expected], actual: Sequence[str]) -> bool:
    """Whether each expected item matches an element of ``actual``, in that order."""
    position = 0
    for item in expected:
        while position < len(actual) and not matches(item, actual[position]):
            position += 1
        if position == len(actual):
            return False
        position += 1
    return True


Predicate = Callable[[Any], bool]
