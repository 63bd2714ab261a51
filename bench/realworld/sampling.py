"""Which findings must be judged: all of a rule in a package when they are few, else a spread."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from realworld.lint import Finding

SAMPLE_SIZE = 8


def spread(count: int, size: int = SAMPLE_SIZE) -> tuple[int, ...]:
    """Indices of ``size`` items spread evenly over ``count``, first and last included."""
    if count <= size:
        return tuple(range(count))
    if size == 1:
        return (0,)
    # (count - 1) / (size - 1) > 1 here, so the floored positions never repeat.
    return tuple(step * (count - 1) // (size - 1) for step in range(size))


def sample(findings: Iterable[Finding], size: int = SAMPLE_SIZE) -> frozenset[Finding]:
    """The findings to judge: per package and rule, ``spread`` over the sorted findings."""
    groups: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[(finding.package, finding.code)].append(finding)
    chosen: set[Finding] = set()
    for group in groups.values():
        group.sort()
        chosen.update(group[index] for index in spread(len(group), size))
    return frozenset(chosen)
