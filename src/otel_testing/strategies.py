"""Hypothesis strategies for attribute keys and values that the OpenTelemetry spec accepts.

For users' property tests: feed instrumented code keys and values it must handle, or sets of
semantic-convention attributes it should pass through unchanged. Requires ``hypothesis``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from otel_lint.conventions.naming import is_reserved, is_well_formed
from otel_lint.conventions.registry import Registry, load_registry

_COMPONENT = st.from_regex(r"[a-z][a-z0-9]{0,7}(_[a-z0-9]{1,6}){0,2}", fullmatch=True)

#: 64-bit signed integers: what OTLP carries for an int attribute.
_INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def attribute_keys() -> st.SearchStrategy[str]:
    """Well-formed custom keys (dot-separated snake_case), never in the reserved `otel.`."""
    return (
        st.lists(_COMPONENT, min_size=1, max_size=4)
        .map(".".join)
        .filter(lambda key: is_well_formed(key) and not is_reserved(key))
    )


def primitive_values() -> st.SearchStrategy[Any]:
    """A single attribute value: str, bool, 64-bit int or a finite float."""
    return st.one_of(
        st.text(max_size=32),
        st.booleans(),
        _INT64,
        st.floats(allow_nan=False, allow_infinity=False),
    )


def attribute_values() -> st.SearchStrategy[Any]:
    """A value the spec allows: a primitive, or a homogeneous sequence of one primitive type."""
    homogeneous = st.one_of(
        st.lists(st.text(max_size=16), max_size=5),
        st.lists(st.booleans(), max_size=5),
        st.lists(_INT64, max_size=5),
        st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=5),
    ).map(tuple)
    return st.one_of(primitive_values(), homogeneous)


def attributes(max_size: int = 8) -> st.SearchStrategy[dict[str, Any]]:
    """A dict of custom attribute keys to valid values."""
    return st.dictionaries(attribute_keys(), attribute_values(), max_size=max_size)


def semconv_attribute_keys(
    registry: Registry | None = None, namespace: str | None = None
) -> st.SearchStrategy[str]:
    """Current (not deprecated, not template) semantic-convention attribute keys."""
    registry = registry if registry is not None else load_registry()
    keys = sorted(
        key
        for key, attribute in registry.attributes.items()
        if attribute.deprecated is None
        and not attribute.template
        and (namespace is None or key.startswith(namespace + "."))
    )
    if not keys:
        raise ValueError(f"no current semantic-convention attributes in namespace {namespace!r}")
    return st.sampled_from(keys)


def semconv_attributes(
    registry: Registry | None = None, namespace: str | None = None, max_size: int = 6
) -> st.SearchStrategy[dict[str, Any]]:
    """Sets of current semconv attributes; enum attributes take one of their defined values.

    The registry does not record value types, so non-enum attributes get short strings.
    """
    registry = registry if registry is not None else load_registry()
    keys = semconv_attribute_keys(registry, namespace)

    def value_for(key: str) -> st.SearchStrategy[Any]:
        members = registry.enums.get(key)
        if members:
            return st.sampled_from(members)
        return st.text(min_size=1, max_size=16)

    pairs = keys.flatmap(lambda key: value_for(key).map(lambda value: (key, value)))
    return st.lists(pairs, max_size=max_size, unique_by=lambda pair: pair[0]).map(dict)
