"""Where the rule files are, and which codes they define, without reading them.

A rule file is named after its code (``OTL301.yaml``; ``load_rules`` refuses one that is not), so
selecting codes and keying the results cache need only the folder's listing: a run answered from
the cache never parses YAML or builds the rule models.
"""

from __future__ import annotations

import re
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
