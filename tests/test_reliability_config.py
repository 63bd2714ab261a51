"""Configuration that is wrong in any way ends in exit 2 and a message naming the key or the line.

Hypothesis writes `[tool.otel-lint]` tables of real and made-up keys with values of every TOML
type, and breaks TOML documents; the CLI must never show a traceback or an internal error, and a
rejected table must name the offending key (a broken document: its line). The default profile
keeps this quick; `HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_reliability_config.py`
runs many more examples by hand.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from otel_lint.cli import main
from otel_lint.config.schema import SettingsTable
from otel_lint.config.settings import toml_key

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

GOOD = 'span.set_attribute("http.request.method", "GET")\n'
BAD = 'span.set_attribute("http.method", "GET")\n'

#: Every key a user may write, in the spelling the README documents and the one pydantic also takes.
KNOWN_KEYS = sorted(
    {name for name, field in SettingsTable.model_fields.items()}
    | {field.alias for field in SettingsTable.model_fields.values() if field.alias}
)
LIST_KEYS = {
    "select",
    "ignore",
    "extend-select",
    "extend_select",
    "exclude",
    "namespaces",
    "bounded",
    "instrumentations",
}

# TOML's value types, nested a little. Keys of nested tables are short text, sometimes a rule code.
scalars = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(datetime.timezone.utc)),
    st.times(),
)
selectors = st.one_of(
    st.sampled_from(["ALL", "OTL", "OTL2", "OTL301", "OTL000", "otl2", "OTL9999", "E501", ""]),
    st.from_regex(r"\AOTL[0-9]{0,3}\Z"),
)
patterns = st.text(alphabet="ab*?[]!/\\.# -^", max_size=8)
values = st.recursive(
    scalars | selectors | patterns,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6) | selectors | patterns, inner, max_size=3)
    ),
    max_leaves=8,
)
tables = st.dictionaries(
    st.sampled_from(KNOWN_KEYS) | st.text(max_size=10),
    values,
    max_size=4,
)


def lint_folder(folder: Path, *extra: str) -> tuple[int, str, str]:
    """The CLI in-process, its output captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--no-cache", "--output-format", "json", *extra, str(folder)])
    return code, out.getvalue(), err.getvalue()


def assert_no_crash(code: int, err: str) -> None:
    assert code in (0, 1, 2), err
    assert "Traceback" not in err, err
    assert "internal error" not in err, err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "a.py").write_text(GOOD)
    (tmp_path / "b.py").write_text(BAD)
    return tmp_path


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables)
def test_any_table_is_used_or_rejected_by_key(folder: Path, table: dict[str, Any]) -> None:
    (folder / "pyproject.toml").write_text(tomli_w.dumps({"tool": {"otel-lint": table}}))
    code, out, err = lint_folder(folder)
    assert_no_crash(code, err)
    unknown = [key for key in table if key not in KNOWN_KEYS]
    if unknown:
        assert code == 2
        for key in unknown:
            assert f"unknown key `{toml_key(key)}`" in err
    wrong_type = [key for key in table if key in LIST_KEYS and not isinstance(table[key], list)]
    if wrong_type:
        assert code == 2
        for key in wrong_type:
            assert f"`{key}`" in err
    if code == 2:
        # Every line of the message names a key of the table (or a key inside one).
        lines = [line for line in err.splitlines() if line]
        assert lines, "exit 2 without a message"
        for line in lines:
            assert any(f"`{toml_key(key)}" in line for key in table), line
    else:
        assert isinstance(json.loads(out), list)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables, data=st.data())
def test_broken_toml_names_its_line(
    folder: Path, table: dict[str, Any], data: st.DataObject
) -> None:
    document = tomli_w.dumps({"tool": {"otel-lint": {"select": ["ALL"], **table}}})
    where = data.draw(st.integers(0, len(document)), label="where")
    junk = data.draw(st.sampled_from(['"', "[", "]", "=", "{", "\n=", "'''", "\\", "x y", "\x00"]))
    broken = document[:where] + junk + document[where:]
    try:
        tomllib.loads(broken)
    except tomllib.TOMLDecodeError:
        pass
    else:
        assume(False)  # the insertion happened to be valid TOML
    (folder / "pyproject.toml").write_text(broken)
    code, _, err = lint_folder(folder)
    assert_no_crash(code, err)
    assert code == 2
    found = re.search(r"line (\d+)", err)
    assert found, err
    assert 1 <= int(found.group(1)) <= broken.count("\n") + 1


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # Where the parser notices: the array is still open when `ignore` comes.
        ('[tool.otel-lint]\nselect = ["OTL2"\nignore = []\n', 3),
        ('[tool.otel-lint]\nselect = ["ALL"]\n\n\nnamespaces = [acme]\n', 5),
        ('[tool.otel-lint]\nselect = ["ALL"]\nselect = ["OTL2"]\n', 3),
        ("[tool.otel-lint]\n[tool.otel-lint]\n", 2),
    ],
)
def test_broken_toml_names_the_right_line(folder: Path, text: str, line: int) -> None:
    (folder / "pyproject.toml").write_text(text)
    code, _, err = lint_folder(folder)
    assert code == 2
    assert f"line {line}" in err, err
    assert str(folder / "pyproject.toml") in err


def test_a_config_that_is_not_utf8_names_its_line(folder: Path) -> None:
    (folder / "pyproject.toml").write_bytes(b'[tool.otel-lint]\n# caf\xe9\nselect = ["ALL"]\n')
    code, _, err = lint_folder(folder)
    assert code == 2
    assert "not UTF-8" in err and "line 2" in err, err


@pytest.mark.parametrize(
    "text",
    [
        # The same table in the other spellings TOML allows: dotted keys and an inline table.
        'tool.otel-lint.select = ["XYZ"]\n',
        '[tool]\notel-lint.select = ["XYZ"]\n',
        '[tool]\n"otel-lint" = { select = ["XYZ"] }\n',
    ],
)
def test_the_table_is_found_however_it_is_spelt(folder: Path, text: str) -> None:
    (folder / "pyproject.toml").write_text(text)
    code, _, err = lint_folder(folder)
    assert code == 2
    assert "`select`" in err, err


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('tool = "otel-lint"\n', "`tool`"),
        ("[tool]\notel-lint = 3\n", "[tool.otel-lint] must be a table"),
        ('[tool.otel-lint]\nexclude = ["!"]\n', "`exclude.0`"),
        ('[tool.otel-lint]\nexclude = ["ok/", "a/**b/[", "!"]\n', "`exclude.2`"),
        ('[tool.otel-lint.per-file-ignores]\n"!" = ["OTL2"]\n', "`per-file-ignores`"),
        (
            '[tool.otel-lint]\nselect = ["ALL"]\n[[tool.otel-lint.severity]]\nOTL301 = "error"\n',
            "`severity`",
        ),
    ],
)
def test_values_the_run_cannot_use_are_rejected_by_key(folder: Path, text: str, named: str) -> None:
    (folder / "pyproject.toml").write_text(text)
    code, _, err = lint_folder(folder, "--config", str(folder / "pyproject.toml"))
    assert_no_crash(code, err)
    assert code == 2
    assert named in err, err


@pytest.mark.parametrize(
    "text",
    [
        "[tool.otel-lint]\nselect = [\n",
        '[tool.otel-lint]\nselcet = ["OTL2"]\n',
        '[tool.otel-lint]\nexclude = ["!"]\n',
        "[tool.otel-lint]\nseverity = { OTL301 = 'fatal' }\n",
    ],
)
def test_the_console_script_reports_without_a_traceback(folder: Path, text: str) -> None:
    (folder / "pyproject.toml").write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "otel_lint.cli", "check", "--no-cache", "."],
        capture_output=True,
        text=True,
        cwd=folder,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("otel-lint: error: "), done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


@given(key=st.text())
def test_a_key_is_named_as_toml_reads_it(key: str) -> None:
    assume(not any("\ud800" <= c <= "\udfff" for c in key))
    spelt = toml_key(key)
    assert len(spelt.splitlines()) == 1 or spelt == ""
    assert tomllib.loads(f"{spelt} = 1") == {key: 1}


def test_the_schema_and_the_settings_have_the_same_fields() -> None:
    from dataclasses import fields

    from otel_lint.config.settings import Settings

    assert set(SettingsTable.model_fields) == {f.name for f in fields(Settings)}


def test_a_validated_table_is_remembered_and_any_change_is_validated_again(
    folder: Path, _isolated_cache: Path
) -> None:
    from otel_lint.config.loader import read_config_file

    pyproject = folder / "pyproject.toml"
    pyproject.write_text('[tool.otel-lint]\nnamespaces = ["acme"]\nignore = ["OTL302"]\n')
    first = read_config_file(pyproject)
    (entry,) = (_isolated_cache / "config").iterdir()
    assert read_config_file(pyproject) == first
    # Same contents spelt differently (order, inline table): the same entry answers.
    pyproject.write_text('tool.otel-lint = { ignore = ["OTL302"], namespaces = ["acme"] }\n')
    assert read_config_file(pyproject) == first
    assert list((_isolated_cache / "config").iterdir()) == [entry]
    # A damaged entry is validated again, never trusted.
    entry.write_bytes(b"\x80\x04garbage")
    assert read_config_file(pyproject) == first
    pyproject.write_text('[tool.otel-lint]\nnamespaces = ["acme"]\nignore = ["OTL3O2"]\n')
    code, _, err = lint_folder(folder)
    assert code == 2 and "`ignore`" in err  # a bad table is never remembered as good
    assert len(list((_isolated_cache / "config").iterdir())) == 1
