"""The rule files: one YAML document per rule, validated into a typed, frozen model.

A rule file is the one place a rule is described: its documentation, the ast-grep rule that
finds candidates, its fix template, and its examples (which the test suite runs). The Python check
that judges candidates, if any, is found by the rule's code (``otel_lint.checks``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from otel_lint.catalogue.compiled import checked_rule, referenced_utils
from otel_lint.catalogue.files import RULE_FILE, RuleFileError, rules_directory
from otel_lint.findings import Severity

FAMILIES = {
    "0": "files",
    "1": "log-trace correlation",
    "2": "unbounded values",
    "3": "semantic conventions",
    "4": "manual spans",
    "5": "sdk setup",
}


class _Strict(BaseModel):
    # defer_build: validators are built when a rule file is first validated, not at import (a
    # run whose rules come from the cache never validates one).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class RuleDocs(_Strict):
    """The four parts of a rule page, in the order ruff's rule pages use, plus its boundary."""

    what: str
    why: str
    example: str
    instead: str
    boundary: str = Field(description="What the rule deliberately does not flag.")


class InvalidExample(_Strict):
    """Code the rule must flag: one file (``code``, named ``file``: ``example.py`` unless said,
    e.g. ``docker-compose.yml`` for a deployment rule) or a small project (``files``)."""

    code: str | None = None
    file: str | None = None
    files: dict[str, str] | None = None
    #: How many findings of this rule the example produces.
    expect: int = 1
    #: The text after ``--fix``, where the rule fixes this example.
    fixed: str | None = None


class ValidExample(_Strict):
    code: str | None = None
    file: str | None = None
    files: dict[str, str] | None = None


class RuleExamples(_Strict):
    invalid: list[InvalidExample] = Field(min_length=1)
    valid: list[ValidExample] = Field(min_length=1)

    @field_validator("invalid", "valid", mode="before")
    @classmethod
    def _plain_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"code": item} if isinstance(item, str) else item for item in value]
        return value


NonEmpty = Annotated[str, Field(min_length=1)]


class Narrowing(_Strict):
    """A smaller search for the files that lack some text (see ``Rule.narrowing``)."""

    #: In a file that contains none of these strings ...
    absent: list[NonEmpty] = Field(min_length=1)
    #: ... the rule searches with this ast-grep rule instead of its own.
    rule: dict[str, Any] = Field(min_length=1)


class Preview(_Strict):
    """Why a rule is in preview: how often it was right on code nobody here wrote.

    Counts come from ``bench/realworld`` (judged findings on pinned packages); a rule below 90%
    judged true stays off unless preview is turned on.
    """

    #: Findings judged by reading the code around them; how many were right and how many wrong
    #: (the rest were debatable).
    judged: int = Field(ge=0)
    right: int = Field(ge=0)
    wrong: int = Field(ge=0)
    #: When and on what it was measured, e.g. "2026-12-07, 31 packages".
    measured: str
    #: What it still gets wrong.
    still_wrong: str

    @property
    def precision(self) -> float:
        decided = self.right + self.wrong
        return self.right / decided if decided else 0.0


class Rule(_Strict):
    """One rule of the catalogue."""

    code: str = Field(pattern=r"^OTL\d{3}$")
    name: str = Field(pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
    severity: Severity
    message: str
    docs: RuleDocs
    #: The ast-grep rule that finds candidates (absent only for OTL000).
    rule: dict[str, Any] | None = None
    constraints: dict[str, Any] | None = None
    utils: dict[str, Any] | None = None
    transform: dict[str, Any] | None = None
    #: An ast-grep fix template applied to the matched node where the check does not give one.
    fix: str | None = None
    #: Facts the project must have (``fact``) or lack (``!fact``) for a candidate to be reported.
    requires: list[str] = Field(default_factory=list)
    #: Strings at least one of which a file's text must contain for the rule to report anything
    #: there; other files skip its search (see ``may_report``). Left out where the rule can fire on
    #: any code. Each must follow from the matcher (text its regexes demand of a node) or from the
    #: check (text every verdict needs), so that skipping never loses a finding.
    prefilter: list[NonEmpty] | None = Field(default=None, min_length=1)
    #: Where part of the rule can report only in files with some text (for OTL301, constants need
    #: an import from opentelemetry), the search other files get instead. Must drop only
    #: candidates the check never reports in such a file.
    narrowing: Narrowing | None = None
    examples: RuleExamples
    #: Set for a rule that is off unless preview is on (``--preview`` / ``preview = true``).
    preview: Preview | None = None

    @property
    def family(self) -> str:
        return FAMILIES.get(self.code[3], "other")

    def may_report(self, text: str, looked_up: dict[str, bool] | None = None) -> bool:
        """Whether the rule can report anything in a file with this text (its prefilter)."""
        return checked_rule(self).may_report(text, looked_up)

    def matcher(self) -> dict[str, Any] | None:
        """The configuration ast-grep-py's ``find_all`` takes."""
        return checked_rule(self).matcher()


def _yaml(path: Path) -> Any:
    import yaml  # only where rule files are read: a run with its rules remembered never is

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def load_rule_file(path: Path) -> Rule:
    import yaml  # for its error class; only where rule files are read (see ``_yaml``)

    try:
        return Rule.model_validate(_yaml(path))
    except (OSError, yaml.YAMLError, ValueError) as error:
        raise RuleFileError(f"{path.name}: {error}") from error


def load_utils(folder: Path) -> dict[str, Any]:
    """The shared ast-grep utility rules in ``utils/`` (one per file, as ast-grep's utilDirs)."""
    import yaml  # only where rule files are read (see ``_yaml``)

    utils: dict[str, Any] = {}
    for path in sorted((folder / "utils").glob("*.yaml")):
        try:
            raw = _yaml(path)
            utils[raw["id"]] = raw["rule"]
        except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
            raise RuleFileError(f"utils/{path.name}: {error}") from error
    return utils


def _referenced_utils(rule: Rule, shared: dict[str, Any]) -> dict[str, Any]:
    narrowed = rule.narrowing.rule if rule.narrowing else None
    return referenced_utils(rule.rule, narrowed, rule.constraints, rule.utils or {}, shared)


@lru_cache(maxsize=4)
def load_rules(directory: Path | None = None) -> tuple[Rule, ...]:
    """Every rule, ordered by code, with the shared utils. Codes and names must be unique.

    The engine runs ``cache.rules.engine_rules()``, which remembers the result in the cache
    directory.
    """
    folder = directory or rules_directory()
    shared = load_utils(folder)
    loaded = []
    for path in sorted(folder.glob("OTL*.yaml")):
        rule = load_rule_file(path)
        named = RULE_FILE.match(path.name)
        if named is None or named.group(1) != rule.code:
            raise RuleFileError(f"{path.name}: a rule file is named after its code ({rule.code})")
        if shared and rule.rule is not None:
            needed = _referenced_utils(rule, shared)
            if needed:
                rule = rule.model_copy(update={"utils": {**needed, **(rule.utils or {})}})
        loaded.append(rule)
    rules = tuple(sorted(loaded, key=lambda r: r.code))
    for attribute in ("code", "name"):
        seen: set[str] = set()
        for rule in rules:
            value = getattr(rule, attribute)
            if value in seen:
                raise RuleFileError(f"two rules share the {attribute} {value!r}")
            seen.add(value)
    return rules


def selected(code: str, selectors: list[str] | tuple[str, ...]) -> bool:
    """Whether ``code`` is named by a selector: a code, a prefix such as ``OTL3``, or ALL."""
    return any(s == "ALL" or code.startswith(s) for s in selectors)
