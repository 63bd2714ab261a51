"""Where the rule files are, and which codes they define, without reading them.

A rule file is named after its code (``OTL301.yaml``; ``load_rules`` refuses one that is not), so
selecting codes and keying the results cache need only the folder's listing: a run answered from
the cache never parses YAML or builds the rule models.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

#: A rule file's name: its code.
RULE_FILE = re.compile(r"^(OTL\d{3})\.yaml$")
#: What ``--select``/``--ignore`` and the configuration accept.
CODE_OR_PREFIX = re.compile(r"^(ALL|OTL\d{0,3})$")


class RuleFileError(Exception):
    """A rule file that cannot be loaded; names the file and what is wrong."""


def rules_directory() -> Path:
    """The shipped rules: package data beside this module (``catalogue/rules/``)."""
    return Path(__file__).with_name("rules")


#: A rule file's top-level ``preview:`` key (the model validates what follows it).
_PREVIEW_KEY = re.compile(rb"^preview:", re.MULTILINE)


@lru_cache(maxsize=4)
def preview_codes(directory: Path | None = None) -> frozenset[str]:
    """The codes of the rules in preview: their files have a top-level ``preview:`` key.

    Read as text, not as YAML, so choosing the codes of a run never loads the YAML parser; a test
    checks that this agrees with the validated rules.
    """
    folder = directory or rules_directory()
    return frozenset(
        code
        for code in rule_codes(folder)
        if _PREVIEW_KEY.search((folder / f"{code}.yaml").read_bytes())
    )


@lru_cache(maxsize=4)
def rule_codes(directory: Path | None = None) -> tuple[str, ...]:
    """The codes of the rule files in ``directory`` (the shipped rules by default), sorted."""
    folder = directory or rules_directory()
    found = (RULE_FILE.match(path.name) for path in folder.iterdir())
    return tuple(sorted(match.group(1) for match in found if match))


#: Codes that are no rule file: files that could not be checked, suppression comments that do
#: nothing.
META_CODES = ("OTL000", "OTL001")


def known_codes() -> tuple[str, ...]:
    """Every code a selector or a ``# noqa`` may name."""
    return tuple(sorted({*META_CODES, *rule_codes()}))


def closest_code(text: str) -> str | None:
    """The real code or prefix most like ``text`` (``OTL999`` -> ``OTL099``), for a message."""
    import difflib

    codes = known_codes()
    prefixes = sorted({code[:length] for code in codes for length in range(4, 6)})
    # A prefix for a prefix (``OTL9`` -> ``OTL5``), a code for a code.
    candidates = [c for c in (*prefixes, *codes) if len(c) == len(text)] or list(codes)
    found = difflib.get_close_matches(text.upper(), candidates, n=1, cutoff=0.0)
    return found[0] if found else None


def unknown_selectors(selectors: Iterable[str]) -> list[str]:
    """One message for each selector that names no rule (a typo that would switch a gate off),
    with the closest real code."""
    codes = known_codes()
    messages = []
    for selector in selectors:
        if selector == "ALL" or any(code.startswith(selector) for code in codes):
            continue
        closest = closest_code(selector)
        hint = f"; did you mean `{closest}`?" if closest else ""
        messages.append(f"`{selector}` is no rule code or prefix{hint}")
    return messages
