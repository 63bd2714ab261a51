"""Typed values as plain JSON data and back, checked against their types on the way in.

The cache keeps only data that cannot execute: a value is written as JSON, guided by its type
hints, and read back only if every part has the type the hints say. Anything else (a pickle, a
truncated file, an entry of another shape) raises ``ValueError``, which the store turns into a
miss. Supported: frozen dataclasses, ``str``/``int``/``float``/``bool``, ``str`` enums, ``None``
unions, ``tuple[X, ...]`` and fixed tuples, ``list``, ``frozenset``, ``dict`` (stored as pairs,
so keys may be tuples), and ``Any`` for JSON values kept as they are (rule matchers).
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, Union, get_args, get_origin

_SCALARS = (str, int, float, bool)


@cache
def _fields(cls: type) -> tuple[tuple[str, Any], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls) if f.init)


def to_plain(hint: Any, value: Any) -> Any:
    """``value`` as JSON-ready data, following ``hint``."""
    if hint is Any:
        return value
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [arg for arg in get_args(hint) if arg is not type(None)]
        return to_plain(inner, value)
    if origin in (tuple, list, frozenset, set):
        args = get_args(hint)
        items = sorted(value) if origin in (frozenset, set) else value
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return [to_plain(arg, item) for arg, item in zip(args, items, strict=True)]
        return [to_plain(args[0], item) for item in items]
    if origin is dict:
        key, item = get_args(hint)
        if key is str and item is Any:
            return dict(value)
        return [[to_plain(key, k), to_plain(item, v)] for k, v in value.items()]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return {name: to_plain(field, getattr(value, name)) for name, field in _fields(hint)}
    return value


def from_plain(hint: Any, data: Any) -> Any:
    """The value ``data`` holds as ``hint`` says; ValueError if any part does not fit."""
    return _reader(hint)(data)


Reader = Callable[[Any], Any]


@cache
def _reader(hint: Any) -> Reader:
    """A function that reads plain data as ``hint``, built once per type: a warm run reads an
    entry per file, and walking the type hints again for each was a sixth of its time."""
    if hint is Any:
        return lambda data: data
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(hint) if arg is not type(None)]
        optional = type(None) in get_args(hint)
        read_inner = _reader(inner)
        return lambda data: None if data is None and optional else read_inner(data)
    if origin in (tuple, list, frozenset, set):
        return _sequence_reader(hint, origin)
    if origin is dict:
        return _dict_reader(hint)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint  # ValueError for a value it does not have
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _dataclass_reader(hint)
    if hint in _SCALARS:
        return _scalar_reader(hint)
    raise ValueError(f"cannot read {hint} from plain data")


def _list(data: Any, hint: Any) -> list[Any]:
    if not isinstance(data, list):
        raise ValueError(f"expected a list for {hint}")
    return data


def _sequence_reader(hint: Any, origin: Any) -> Reader:
    args = get_args(hint)
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        readers = [_reader(arg) for arg in args]

        def read_fixed(data: Any) -> Any:
            items = _list(data, hint)
            if len(items) != len(readers):
                raise ValueError(f"expected {len(readers)} items for {hint}")
            return tuple(read(item) for read, item in zip(readers, items, strict=True))

        return read_fixed
    read_item = _reader(args[0])
    return lambda data: origin(read_item(item) for item in _list(data, hint))


def _dict_reader(hint: Any) -> Reader:
    key, item = get_args(hint)
    if key is str and item is Any:

        def read_object(data: Any) -> Any:
            if not isinstance(data, dict):
                raise ValueError("expected an object")
            return data

        return read_object
    read_key, read_value = _reader(key), _reader(item)

    def read_pairs(data: Any) -> Any:
        pairs = _list(data, hint)
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
            raise ValueError(f"expected pairs for {hint}")
        return {read_key(k): read_value(v) for k, v in pairs}

    return read_pairs


def _dataclass_reader(cls: type) -> Reader:
    fields = [(name, _reader(field)) for name, field in _fields(cls)]
    names = {name for name, _ in fields}

    def read_dataclass(data: Any) -> Any:
        if not isinstance(data, dict) or data.keys() != names:
            raise ValueError(f"expected the fields of {cls.__name__}")
        return cls(**{name: read(data[name]) for name, read in fields})

    return read_dataclass


def _scalar_reader(hint: type) -> Reader:
    def read_scalar(data: Any) -> Any:
        # bool is an int in Python and JSON has one number type: be exact.
        if type(data) is hint:
            return data
        if hint is float and type(data) is int:
            return float(data)
        raise ValueError(f"expected {hint.__name__}, not {type(data).__name__}")

    return read_scalar
