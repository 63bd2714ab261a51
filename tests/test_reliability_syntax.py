"""Syntax as the running Python reads it: code it refuses is an OTL000, code it runs is checked."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from otel_lint.cli import main

HEADER = "from opentelemetry import trace\nspan = trace.get_current_span()\n"


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ('print "hello"\n', "Missing parentheses in call to 'print'"),
        ("x = `1`\n", "invalid syntax"),
        ("if 1 <> 2:\n    pass\n", "invalid syntax"),
        ("return 1\n", "'return' outside function"),
        ('exec "x = 1"\n', "Missing parentheses in call to 'exec'"),
        ("class C:\n    yield 1\n", "'yield' outside function"),
        ("nonlocal x\n", "nonlocal declaration not allowed at module level"),
        ("if x:\n    break\n", "'break' outside loop"),
    ],
)
def test_what_this_python_refuses_is_an_otl000(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
    why: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.py").write_text(source)
    assert main(["check", "--no-cache", "old.py"]) == 1
    out = capsys.readouterr().out
    assert "OTL000 error: file could not be checked: syntax error at line " in out
    assert why in out and f"(Python {sys.version_info.major}.{sys.version_info.minor})" in out


def test_what_both_read_is_compiled_only_where_they_may_disagree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A return, yield or break where it belongs is not a reason to compile the file (that cost
    a cold run as much as linting); the same statements outside their block are."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fine.py").write_text(
        HEADER + "def f():\n    for x in y:\n        break\n    yield 1\n    return 2\n"
        'span.set_attribute("userId", 1)\n'
    )
    assert main(["check", "--no-cache", "fine.py"]) == 1
    out = capsys.readouterr().out
    assert "OTL000" not in out and "OTL302" in out


def test_type_parameter_defaults_are_read_as_this_python_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pep696.py").write_text(
        HEADER + "class Box:\n    def get[U = int](self) -> U: ...\n"
        'span.set_attribute("userId", 1)\n'
    )
    assert main(["check", "--no-cache", "pep696.py"]) == 1
    out = capsys.readouterr().out
    if sys.version_info >= (3, 13):
        assert "OTL000" not in out and "OTL302" in out
    else:
        assert "pep696.py:4:" in out and "OTL000" in out and "OTL302" not in out
