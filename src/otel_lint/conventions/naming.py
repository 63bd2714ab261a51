"""Pure checks over attribute names, metric names and units.

No I/O and no parsing: every function takes a name (and the registry) and returns structured
results. The linter's rules and the pytest plugin's run-time check both call these, so a name is
judged the same way in source code and in emitted telemetry.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from otel_lint.conventions.registry import Deprecation, Registry


class IssueKind(str, Enum):
    """What is wrong with a name or unit, independent of any rule code."""

    MALFORMED = "malformed"
    RESERVED = "reserved"
    DEPRECATED = "deprecated"
    NEAR_MISS = "near-miss"
    CUSTOM_IN_SEMCONV_NAMESPACE = "custom-in-semconv-namespace"
    METRIC_TOTAL_SUFFIX = "metric-total-suffix"
    METRIC_UNIT_IN_NAME = "metric-unit-in-name"
    METRIC_EQUALS_ATTRIBUTE = "metric-equals-attribute"
    METRIC_DEPRECATED = "metric-deprecated"
    METRIC_WRONG_INSTRUMENT = "metric-wrong-instrument"
    METRIC_WRONG_UNIT = "metric-wrong-unit"
    UNIT_MISSING = "unit-missing"
    UNIT_NOT_UCUM = "unit-not-ucum"
    UNIT_DURATION_NOT_SECONDS = "unit-duration-not-seconds"
    UNIT_PLURAL_ANNOTATION = "unit-plural-annotation"


@dataclass(frozen=True)
class NameIssue:
    """One problem with one name: what kind, a sentence for a person, and a fix if there is one."""

    kind: IssueKind
    name: str
    message: str
    suggestion: str | None = None


# --- well-formed names -----------------------------------------------------------------------

_WELL_FORMED = re.compile(r"^[a-z][a-z0-9]*(?:[._][a-z0-9]+)*$")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
RESERVED_NAMESPACE = "otel"


def is_well_formed(name: str) -> bool:
    """Lower case, dot-separated namespaces, snake_case components, starting with a letter."""
    return _WELL_FORMED.match(name) is not None


#: Latin letters that Unicode does not decompose into an ASCII letter and a mark.
_LATIN_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th"}
)


def _ascii_letters(text: str) -> str | None:
    """``text`` with accents dropped (``café`` -> ``cafe``), or None if a letter has no ASCII
    spelling: dropping the letters of ``用户`` would advise a different word."""
    plain = unicodedata.normalize("NFKD", text.translate(_LATIN_LETTERS))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    if any(not c.isascii() and c.isalnum() for c in plain):
        return None
    return plain


def well_formed_suggestion(name: str) -> str | None:
    """The closest well-formed spelling of ``name`` (``cartSize`` -> ``cart_size``), or None."""
    text = _CAMEL_BOUNDARY.sub("_", name.strip()).lower()
    ascii_text = _ascii_letters(text)
    if ascii_text is None:
        return None
    text = re.sub(r"[\s\-/:]+", "_", ascii_text)
    text = re.sub(r"[^a-z0-9._]", "", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"_{2,}", "_", text)
    text = re.sub(r"_*\._*", ".", text)
    text = text.strip("._")
    text = re.sub(r"^[0-9._]+", "", text)
    return text if text and is_well_formed(text) and text != name else None


def check_well_formed(name: str) -> NameIssue | None:
    if is_well_formed(name):
        return None
    return _malformed(name, well_formed_suggestion(name))


def _malformed(name: str, suggestion: str | None) -> NameIssue:
    hint = f"; use `{suggestion}`" if suggestion else ""
    return NameIssue(
        IssueKind.MALFORMED,
        name,
        f"`{name}` is not a well-formed name (lower case, dot-separated namespaces, "
        f"snake_case components){hint}",
        suggestion,
    )


def is_reserved(name: str) -> bool:
    return name == RESERVED_NAMESPACE or name.startswith(RESERVED_NAMESPACE + ".")


# --- attributes ------------------------------------------------------------------------------


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@lru_cache(maxsize=8)
def _squashed_keys(registry: Registry) -> dict[str, str]:
    index: dict[str, str] = {}
    for key in sorted(registry.attributes):
        index.setdefault(_squash(key), key)
    return index


@lru_cache(maxsize=8)
def _keys_by_namespace(registry: Registry) -> dict[str, tuple[str, ...]]:
    """Every attribute key by its top-level namespace (``http`` -> ``http.request.method``...)."""
    index: dict[str, list[str]] = {}
    for key in registry.attributes:
        index.setdefault(key.split(".", 1)[0], []).append(key)
    return {namespace: tuple(keys) for namespace, keys in index.items()}


def _current_name(registry: Registry, key: str) -> str | None:
    """``key`` if it is a current attribute; its single replacement if deprecated; else None."""
    attribute = registry.attributes.get(key)
    if attribute is None:
        return None
    if attribute.deprecated is None:
        return key
    return attribute.deprecated.replacement


def near_miss(name: str, registry: Registry) -> str | None:
    """A known, current attribute key that ``name`` was probably meant to be, or None.

    Matches spellings that differ only in case and delimiters (``httpMethod``, ``user_id``), and
    close misspellings within a semconv namespace (``http.response.status``). A deprecated match
    is answered with its replacement. A name that is itself known is never a near miss.
    """
    if registry.is_known_attribute(name):
        return None
    squashed = _squash(name)
    exact = _squashed_keys(registry).get(squashed)
    if exact is not None:
        return None if _is_contextual(exact) else _current_name(registry, exact)
    top = name.split(".", 1)[0].lower()
    if "." not in name or top not in registry.namespaces:
        return None
    lowered = name.lower()
    # Once per registry, not a scan of every key per name: a generated file can hold thousands.
    siblings = [k for k in _keys_by_namespace(registry).get(top, ()) if "." in k]
    # A known key that only adds a final component suffix (``status`` -> ``status_code``).
    extended = [
        k for k in siblings if k.startswith(lowered + "_") and "." not in k[len(lowered) + 1 :]
    ]
    if len(extended) == 1:
        return _current_name(registry, extended[0])
    close = difflib.get_close_matches(lowered, siblings, n=1, cutoff=0.9)
    if close:
        return _current_name(registry, close[0])
    return None


def semconv_namespace_of(name: str, registry: Registry) -> str | None:
    """The longest semantic-convention namespace that ``name`` sits in, or None."""
    parts = name.split(".")
    for end in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in registry.namespaces:
            return prefix
    return None


def _in_own_namespace(name: str, own_namespaces: Iterable[str]) -> bool:
    for namespace in own_namespaces:
        prefix = namespace.removesuffix(".*").rstrip(".")
        if name == prefix or name.startswith(prefix + "."):
            return True
    return False


def _is_contextual(key: str) -> bool:
    """Whether a convention key is a bare word (``state``), the convention's only where it applies.

    The deprecated ``state`` meant the connection state on the ``db.client.connections.*``
    metrics; on an order counter it is the project's own word. Without the instrument a key is
    written on, a bare word cannot be judged against the conventions, let alone renamed.
    """
    return "." not in key


def _deprecated(kind: IssueKind, name: str, noun: str, deprecation: Deprecation) -> NameIssue:
    """The issue of a name the conventions deprecate: its replacement, or the package's note."""
    replacement = deprecation.replacement
    advice = f"use `{replacement}`" if replacement else deprecation.note.rstrip(".")
    return NameIssue(
        kind, name, f"`{name}` is a deprecated semantic-convention {noun}: {advice}", replacement
    )


def _advise_convention_key(malformed: NameIssue, registry: Registry) -> NameIssue:
    """A malformed key whose well-formed spelling is a near miss of a convention key is advised
    that key (``userId`` -> ``user.id``, not ``user_id``, which OTL303 would flag next)."""
    suggestion = malformed.suggestion
    if suggestion is None:
        return malformed
    if registry.is_known_attribute(suggestion):
        close = _current_name(registry, suggestion)
    else:
        close = near_miss(suggestion, registry) or near_miss(malformed.name, registry)
    return malformed if close is None or close == suggestion else _malformed(malformed.name, close)


def check_attribute_key(
    key: str, registry: Registry, own_namespaces: Iterable[str] = ()
) -> list[NameIssue]:
    """Every problem with an attribute key, most important first."""
    own_namespaces = tuple(own_namespaces)
    attribute = registry.attribute(key)
    if attribute is not None:
        if attribute.deprecated is None or _is_contextual(key):
            return []
        return [_deprecated(IssueKind.DEPRECATED, key, "attribute", attribute.deprecated)]
    issues: list[NameIssue] = []
    malformed = check_well_formed(key)
    if malformed is not None:
        issues.append(_advise_convention_key(malformed, registry))
    if is_reserved(key):
        issues.append(
            NameIssue(
                IssueKind.RESERVED,
                key,
                f"`{key}` is in the `otel.` namespace, which OpenTelemetry reserves; "
                "put it under your project's own namespace",
            )
        )
        return issues
    if _in_own_namespace(key, own_namespaces):
        return issues
    close = near_miss(key, registry)
    spelled = _squashed_keys(registry).get(_squash(key))
    if close is None and spelled is not None and not _is_contextual(spelled):
        deprecation = registry.attributes[spelled].deprecated
        note = deprecation.note.rstrip(".") if deprecation else ""
        issues.append(
            NameIssue(
                IssueKind.NEAR_MISS,
                key,
                f"`{key}` looks like the deprecated semantic-convention attribute `{spelled}`: "
                f"{note}",
            )
        )
        return issues
    if close is not None:
        issues.append(
            NameIssue(
                IssueKind.NEAR_MISS,
                key,
                f"`{key}` looks like the semantic-convention attribute `{close}`",
                close,
            )
        )
        return issues
    namespace = semconv_namespace_of(key, registry)
    if namespace is not None and malformed is None:
        own = next(iter(own_namespaces), None)
        where = (
            f"`{own.removesuffix('.*').rstrip('.')}.`" if own else "your project's own namespace"
        )
        issues.append(
            NameIssue(
                IssueKind.CUSTOM_IN_SEMCONV_NAMESPACE,
                key,
                f"`{key}` is not a semantic-convention attribute but sits in the "
                f"`{namespace}` namespace that the conventions own; put it under {where}",
            )
        )
    return issues


# --- metric names ----------------------------------------------------------------------------

#: Name endings that spell a unit, and the UCUM unit to use instead.
UNIT_WORDS: dict[str, str] = {
    "ms": "s",
    "millis": "s",
    "milliseconds": "s",
    "msec": "s",
    "micros": "s",
    "microseconds": "s",
    "ns": "s",
    "nanos": "s",
    "nanoseconds": "s",
    "sec": "s",
    "secs": "s",
    "seconds": "s",
    "minutes": "s",
    "hours": "s",
    "bytes": "By",
    "kb": "By",
    "mb": "By",
    "gb": "By",
    "kib": "By",
    "mib": "By",
    "gib": "By",
    "bits": "bit",
    "percent": "1",
    "pct": "1",
}


def check_metric_name(name: str, registry: Registry) -> list[NameIssue]:
    """Every problem with a metric name, most important first."""
    metric = registry.metrics.get(name)
    if metric is not None:
        if metric.deprecated is None:
            return []
        return [_deprecated(IssueKind.METRIC_DEPRECATED, name, "metric", metric.deprecated)]
    issues: list[NameIssue] = []
    malformed = check_well_formed(name)
    if malformed is not None:
        issues.append(malformed)
    normal = malformed.suggestion if malformed and malformed.suggestion else name
    components = re.split(r"[._]", normal.lower())
    if components and components[-1] == "total" and len(components) > 1:
        trimmed = re.sub(r"[._]total$", "", normal)
        issues.append(
            NameIssue(
                IssueKind.METRIC_TOTAL_SUFFIX,
                name,
                f"metric `{name}` ends in `total`: OpenTelemetry metric names carry no "
                f"`_total` suffix (exporters add it); use `{trimmed}`",
                trimmed,
            )
        )
        components = components[:-1]
        normal = trimmed
    if len(components) > 1 and components[-1] in UNIT_WORDS:
        word = components[-1]
        trimmed = normal[: -len(word) - 1]
        issues.append(
            NameIssue(
                IssueKind.METRIC_UNIT_IN_NAME,
                name,
                f"metric `{name}` has its unit in its name; name it `{trimmed}` and pass "
                f'unit="{UNIT_WORDS[word]}"',
                trimmed,
            )
        )
        normal = trimmed
    if malformed is not None and malformed.suggestion not in (None, normal):
        # One name to rename to: the well-formed spelling without the suffix the next issue
        # names, not ``cache_hits_total`` that the suffix check would flag in turn.
        issues[0] = _malformed(name, normal)
    if name in registry.attributes:
        issues.append(
            NameIssue(
                IssueKind.METRIC_EQUALS_ATTRIBUTE,
                name,
                f"metric `{name}` has the name of a semantic-convention attribute; "
                "a metric and an attribute must not share a name",
            )
        )
    return issues


def check_metric_definition(
    name: str, instrument: str | None, unit: str | None, registry: Registry
) -> list[NameIssue]:
    """Whether a semconv metric is created with the instrument kind and unit it is defined with.

    ``instrument`` uses the registry's words: counter, updowncounter, histogram, gauge.
    """
    metric = registry.metrics.get(name)
    if metric is None:
        return []
    issues: list[NameIssue] = []
    if instrument is not None and metric.instrument is not None and instrument != metric.instrument:
        issues.append(
            NameIssue(
                IssueKind.METRIC_WRONG_INSTRUMENT,
                name,
                f"`{name}` is defined as a {metric.instrument}, not a {instrument}",
                metric.instrument,
            )
        )
    if unit is not None and metric.unit is not None and unit != metric.unit:
        issues.append(
            NameIssue(
                IssueKind.METRIC_WRONG_UNIT,
                name,
                f'`{name}` is defined with unit "{metric.unit}", not "{unit}"',
                metric.unit,
            )
        )
    return issues


# --- units -----------------------------------------------------------------------------------

# UCUM atoms that telemetry uses, case-sensitive. Metric prefixes apply to the metric atoms.
_METRIC_ATOMS = frozenset(
    "s g m l L B By bit Hz W J V A Ohm Cel K N Pa cd mol sr rad".split()  # noqa: SIM905
)
_OTHER_ATOMS = frozenset(
    ["1", "%", "min", "h", "d", "wk", "mo", "a", "deg", "[degF]", "10*3", "10*6"]
)
_PREFIXES = ("Ki", "Mi", "Gi", "Ti", "da", "k", "M", "G", "T", "P", "m", "u", "n", "p", "c", "d")
_DURATION_ATOMS = frozenset({"ms", "us", "ns", "min", "h", "d", "wk", "mo", "a", "ps"})
_ANNOTATION = re.compile(r"\{[^{}]*\}")
_TERM = re.compile(r"^(?P<atom>\[[^\]]+\]|[A-Za-z%]+|1|10\*\d+)(?P<exponent>[+-]?\d+)?$")

#: Words people write where UCUM has an atom.
UCUM_SUGGESTIONS: dict[str, str] = {
    "seconds": "s",
    "second": "s",
    "sec": "s",
    "secs": "s",
    "milliseconds": "ms",
    "millisecond": "ms",
    "microseconds": "us",
    "nanoseconds": "ns",
    "minutes": "min",
    "hours": "h",
    "bytes": "By",
    "byte": "By",
    "b": "By",
    "kb": "kBy",
    "mb": "MBy",
    "gb": "GBy",
    "percent": "%",
    "count": "1",
    "ratio": "1",
}


def _is_ucum_atom(atom: str) -> bool:
    if atom in _METRIC_ATOMS or atom in _OTHER_ATOMS:
        return True
    if atom.startswith("[") and atom.endswith("]"):
        return True
    return any(atom.startswith(p) and atom[len(p) :] in _METRIC_ATOMS for p in _PREFIXES)


def is_ucum(unit: str) -> bool:
    """Whether ``unit`` is a case-sensitive UCUM expression (annotations allowed)."""
    if not unit or unit != unit.strip():
        return False
    stripped = _ANNOTATION.sub("", unit)
    if "{" in stripped or "}" in stripped:
        return False
    if not stripped:
        return True  # a pure annotation such as {request}
    if stripped.startswith("/"):
        stripped = "1" + stripped
    for term in re.split(r"[./]", stripped):
        if term == "":
            return False
        match = _TERM.match(term)
        if match is None or not _is_ucum_atom(match.group("atom")):
            return False
    return True


#: Words that end in "s" and are singular (or the same in both numbers).
_SINGULAR_S = frozenset({"series", "species", "alias", "bus", "status", "gas", "lens", "canvas"})


#: Plurals that add "es" to a singular ending in a sibilant (switch, wish, box, process, buzz).
_SIBILANT_PLURAL = re.compile(r"(?:ch|sh|x|ss|zz)es$")
#: Singulars that end in "e" after a sibilant, whose plural only adds "s".
_SINGULAR_E = frozenset({"cache", "niche", "ache", "axe"})


def _singular(word: str) -> str:
    """The singular of an English plural ``word`` (its last component), as units spell it."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    last = re.split(r"[._]", word)[-1]
    if _SIBILANT_PLURAL.search(last) and last[:-1] not in _SINGULAR_E:
        return word[:-2]
    return word[:-1]


def _plural_annotations(unit: str) -> list[tuple[str, str]]:
    plurals = []
    for annotation in _ANNOTATION.findall(unit):
        word = annotation[1:-1]
        last = re.split(r"[._]", word)[-1]
        if last in _SINGULAR_S:
            continue
        if len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
            plurals.append((annotation, "{" + _singular(word) + "}"))
    return plurals


def check_unit(
    unit: str | None, registry: Registry | None = None, metric_name: str | None = None
) -> list[NameIssue]:
    """Every problem with a metric's unit. A semconv metric's own unit is always accepted."""
    label = metric_name or "metric"
    if registry is not None and metric_name is not None:
        metric = registry.metrics.get(metric_name)
        if metric is not None and metric.unit is not None and unit == metric.unit:
            return []
    if unit is None or unit == "":
        return [
            NameIssue(
                IssueKind.UNIT_MISSING,
                label,
                f'`{label}` has no unit; pass a UCUM unit such as "s", "By", "1" or '
                'an annotation such as "{request}"',
            )
        ]
    if not is_ucum(unit):
        suggestion = UCUM_SUGGESTIONS.get(unit.lower())
        if suggestion is None and re.fullmatch(r"[a-z_]+", unit):
            suggestion = "{" + unit + "}"
            plural = _plural_annotations(suggestion)
            if plural:
                suggestion = plural[0][1]
        if suggestion in _DURATION_ATOMS:
            # ``ms`` would be flagged next: OpenTelemetry durations are in seconds.
            suggestion = "s"
        hint = f'; use "{suggestion}"' if suggestion else ""
        if suggestion == "s" and unit.lower() not in ("s", "second", "seconds", "sec", "secs"):
            hint += " and record seconds (OpenTelemetry durations are in seconds)"
        return [
            NameIssue(
                IssueKind.UNIT_NOT_UCUM,
                label,
                f'unit "{unit}" of `{label}` is not a UCUM unit{hint}',
                suggestion,
            )
        ]
    issues: list[NameIssue] = []
    if _ANNOTATION.sub("", unit) in _DURATION_ATOMS:
        issues.append(
            NameIssue(
                IssueKind.UNIT_DURATION_NOT_SECONDS,
                label,
                f'`{label}` measures a duration in "{unit}"; OpenTelemetry durations are in "s"',
                "s",
            )
        )
    for annotation, singular in _plural_annotations(unit):
        issues.append(
            NameIssue(
                IssueKind.UNIT_PLURAL_ANNOTATION,
                label,
                f'unit annotation "{annotation}" of `{label}` is plural; annotations are '
                f'singular: "{singular}"',
                unit.replace(annotation, singular),
            )
        )
    return issues
