"""The rule files: one YAML document per rule, validated into a typed, frozen model.

A rule file is the one place a rule is described: its documentation, the ast-grep rule that
finds candidates, the optional Python check that judges them, its fix, and its examples (which
the test suite runs).
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import sys
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator

from otel_lint.findings import Severity
from otel_lint.rule_files import RULE_FILE, RuleFileError, rules_directory

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
    """Code the rule must flag: one file (``code``) or a small project (``files``)."""

    code: str | None = None
    files: dict[str, str] | None = None
    #: How many findings of this rule the example produces.
    expect: int = 1
    #: The text after ``--fix``, where the rule fixes this example.
    fixed: str | None = None


class ValidExample(_Strict):
    code: str | None = None
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


def contains_any(text: str, strings: list[str], looked_up: dict[str, bool] | None = None) -> bool:
    """Whether ``text`` contains one of ``strings``; ``looked_up`` remembers answers across calls
    for the same text (rules share their strings)."""
    known = {} if looked_up is None else looked_up
    for string in strings:
        found = known.get(string)
        if found is None:
            found = known[string] = string in text
        if found:
            return True
    return False


class Narrowing(_Strict):
    """A smaller search for the files that lack some text (see ``Rule.narrowing``)."""

    #: In a file that contains none of these strings ...
    absent: list[NonEmpty] = Field(min_length=1)
    #: ... the rule searches with this ast-grep rule instead of its own.
    rule: dict[str, Any] = Field(min_length=1)


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
    #: The Python check (a name in ``otel_lint.checks``) that judges each candidate.
    check: str | None = None
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

    @property
    def family(self) -> str:
        return FAMILIES.get(self.code[3], "other")

    @property
    def fixable(self) -> bool:
        return self.fix is not None or (self.check is not None and self.check_fixes)

    #: Whether the named check can produce fixes (declared so docs can say so).
    check_fixes: bool = False

    def may_report(self, text: str, looked_up: dict[str, bool] | None = None) -> bool:
        """Whether the rule can report anything in a file with this text (its prefilter).

        ``looked_up`` remembers which strings the text contains, for the next rule of the file
        (several rules share their strings).
        """
        return self.prefilter is None or contains_any(text, self.prefilter, looked_up)

    def narrowed(self) -> Rule:
        """The rule as a file without any of ``narrowing.absent`` is searched for it: the
        narrowing's ast-grep rule, with only the utils that one uses."""
        if self.narrowing is None:
            return self
        bare = self.model_copy(
            update={
                "rule": self.narrowing.rule,
                "narrowing": None,
                "prefilter": None,
                "utils": None,
            }
        )
        return bare.model_copy(update={"utils": _referenced_utils(bare, self.utils or {}) or None})

    def matcher(self) -> dict[str, Any] | None:
        """The configuration ast-grep-py's ``find_all`` takes."""
        if self.rule is None:
            return None
        config: dict[str, Any] = {"rule": self.rule}
        for key in ("constraints", "utils", "transform"):
            value = getattr(self, key)
            if value:
                config[key] = value
        return config


def _yaml(path: Path) -> Any:
    import yaml  # only where rule files are read: a run with its rules remembered never is

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def load_rule_file(path: Path) -> Rule:
    import yaml

    try:
        return Rule.model_validate(_yaml(path))
    except (OSError, yaml.YAMLError, ValueError) as error:
        raise RuleFileError(f"{path.name}: {error}") from error


def load_utils(folder: Path) -> dict[str, Any]:
    """The shared ast-grep utility rules in ``utils/`` (one per file, as ast-grep's utilDirs)."""
    import yaml

    utils: dict[str, Any] = {}
    for path in sorted((folder / "utils").glob("*.yaml")):
        try:
            raw = _yaml(path)
            utils[raw["id"]] = raw["rule"]
        except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
            raise RuleFileError(f"utils/{path.name}: {error}") from error
    return utils


def _matches(value: Any) -> set[str]:
    """Every util id a rule fragment names with ``matches:``."""
    if isinstance(value, dict):
        found = {value["matches"]} if isinstance(value.get("matches"), str) else set()
        for item in value.values():
            found |= _matches(item)
        return found
    if isinstance(value, list):
        return set().union(*(_matches(item) for item in value)) if value else set()
    return set()


def _referenced_utils(rule: Rule, shared: dict[str, Any]) -> dict[str, Any]:
    """The shared utils a rule uses, directly or through other utils.

    ast-grep compiles every util it is given on each search, so a rule carries only its own.
    """
    own = rule.utils or {}
    narrowed = rule.narrowing.rule if rule.narrowing else None
    pending = _matches([rule.rule, narrowed, rule.constraints, own]) - set(own)
    needed: dict[str, Any] = {}
    while pending:
        name = min(pending)  # a fixed order keeps the rule's dump, and so cache keys, stable
        pending.discard(name)
        if name in needed or name not in shared:
            continue
        needed[name] = shared[name]
        pending |= _matches(shared[name]) - set(needed) - set(own)
    return needed


@lru_cache(maxsize=4)
def load_rules(directory: Path | None = None) -> tuple[Rule, ...]:
    """Every rule, ordered by code, with the shared utils. Codes and names must be unique.

    The shipped rules, once validated, are remembered in the cache directory (keyed by the rule
    files' and otel-lint's bytes, and pydantic's and Python's versions): reading and validating
    27 YAML files, and building the models' validators, was a third of a one-file run.
    """
    if directory is not None:
        return _read_rules(directory)
    entry = _remembered_rules()
    try:
        remembered = pickle.loads(entry.read_bytes())
        if isinstance(remembered, tuple) and all(isinstance(r, Rule) for r in remembered):
            return remembered
    except Exception:  # missing, damaged, unreadable: read the rule files again
        pass
    rules = _read_rules(rules_directory())
    from otel_lint.semconv import write_atomically

    with contextlib.suppress(OSError):
        write_atomically(entry, pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL))
    return rules


def _remembered_rules() -> Path:
    from otel_lint.result_cache import environment_key
    from otel_lint.semconv import cache_directory

    versions = f"{environment_key()}-{pydantic.VERSION}-{sys.version_info[:3]}"
    name = hashlib.blake2b(versions.encode(), digest_size=16).hexdigest()
    return cache_directory() / "rules" / f"{name}.pickle"


def _read_rules(folder: Path) -> tuple[Rule, ...]:
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
