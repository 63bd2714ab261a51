"""The linter survives any source text it is given, and reports the right place in unusual files.

Unusual but valid files (coding cookies, byte order marks, CR / CRLF / mixed line endings, tabs,
form feeds, non-ASCII names, deep nesting, very large files) are linted, and a mistake planted in
each is reported at the line and column (in characters, 1-based) an editor shows. Broken and
pathological files are an OTL000 that says why, never a traceback or a hang. The fuzz tests feed
hypothesmith's generated programs and mutated real files to the engine; the default hypothesis
profile keeps the module quick, ``HYPOTHESIS_PROFILE=thorough python -m pytest
tests/test_reliability_source.py`` runs many more examples.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from otel_lint.cli import main
from otel_lint.engine import UNREADABLE
from otel_lint.findings import Finding
from otel_lint.runner import RunOptions, run_lint

HEAD = "from opentelemetry import trace\n\nspan = trace.get_current_span()\n"
MISTAKE = 'span.set_attribute("http.method", "GET")'
#: Where the key of MISTAKE starts and ends, in characters after the start of MISTAKE.
KEY_START, KEY_END = MISTAKE.index('"http'), MISTAKE.index(", ")


def lint(path: Path, *, report_unused_noqa: bool = False) -> list[Finding]:
    outcome = run_lint(
        RunOptions(paths=(path,), use_cache=False, report_unused_noqa=report_unused_noqa)
    )
    return list(outcome.findings)


def where(findings: list[Finding], code: str = "OTL301") -> list[tuple[int, int, int, int]]:
    return [(f.line, f.column, f.end_line, f.end_column) for f in findings if f.code == code]


def cli(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--no-cache", *map(str, argv)])
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


# --- unusual but valid files -------------------------------------------------------------------


def _case(text: str, encoding: str = "utf-8", bom: bool = False) -> tuple[bytes, int, int]:
    """The file's bytes and where (line, column) MISTAKE starts in it, counted as CPython does."""
    before = text[: text.index(MISTAKE)]
    lines = re.split(r"\r\n|\r|\n", before)
    data = text.encode(encoding)
    return (codecs.BOM_UTF8 + data if bom else data), len(lines), len(lines[-1]) + 1


_PLAIN = f"{HEAD}{MISTAKE}\n"
UNUSUAL = {
    "crlf": _case(_PLAIN.replace("\n", "\r\n")),
    # Classic Mac OS line endings: CPython reads a lone CR as the end of a line.
    "cr": _case(_PLAIN.replace("\n", "\r")),
    "mixed endings": _case(
        "from opentelemetry import trace\r\n\rspan = trace.get_current_span()\n\r\n"
        f"x = 1\r{MISTAKE}\r\n"
    ),
    "bom": _case(f"{HEAD}café = 'ünïcode'; {MISTAKE}\n", bom=True),
    "latin-1 cookie": _case(
        f"# -*- coding: latin-1 -*-\n{HEAD}name = 'café, señor'; {MISTAKE}\n", "latin-1"
    ),
    "cr with cookie": _case(
        f"# -*- coding: latin-1 -*-\r{HEAD}x = 'café'; {MISTAKE}\r".replace("\n", "\r"), "latin-1"
    ),
    "cookie on line 2": _case(
        f"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n{HEAD}q = '€'; {MISTAKE}\n",
        "cp1252",
    ),
    "tabs": _case(f"{HEAD}if span:\n\tif span:\n\t\tx = 1;\t{MISTAKE}\n"),
    "non-ascii identifiers": _case(f"{HEAD}ñandú = 'lé'; 名前 = 1; \U0001d535 = 2; {MISTAKE}\n"),
    "astral characters": _case(f"{HEAD}x = '😀😀 𝄞'; {MISTAKE}\n"),
    # CPython treats these as ordinary characters (a form feed is whitespace), never as line ends.
    "form feed": _case(f"{HEAD}\x0c\nx = 1\n\x0cif span:\n\x0c    {MISTAKE}\n"),
    "unicode separators": _case(
        f"{HEAD}x = 'a\u2028b\u2029c\x85d\x1ce'  # \u2028 \x0b\n{MISTAKE}\n"
    ),
    "no final newline": _case(f"{HEAD}{MISTAKE}"),
}


@pytest.mark.parametrize("name", UNUSUAL)
def test_unusual_valid_files_are_linted_at_the_right_place(tmp_path: Path, name: str) -> None:
    data, line, column = UNUSUAL[name]
    compile(data, "unusual.py", "exec")  # valid Python, as CPython reads it
    path = tmp_path / "unusual.py"
    path.write_bytes(data)
    findings = lint(path)
    assert [f.code for f in findings if f.code == UNREADABLE] == []
    start = column + KEY_START
    assert where(findings) == [(line, start, line, start + KEY_END - KEY_START)]


def test_a_cookie_after_line_two_of_a_cr_file_is_not_honoured(tmp_path: Path) -> None:
    """As in CPython, whose tokenizer ends lines at a lone CR when it looks for the cookie."""
    data = "#!/usr/bin/env python\rx = 1\r# coding: latin-1\rname = 'café'\r".encode("latin-1")
    with pytest.raises(SyntaxError):
        compile(data, "late_cookie.py", "exec")
    path = tmp_path / "late_cookie.py"
    path.write_bytes(data)
    [finding] = lint(path)
    assert finding.code == UNREADABLE
    assert "not valid utf-8 (line 4" in finding.message


COOKIES = ["utf-8", "UTF_8", "utf-8-whatever", "utf-8-sig", "latin-1", "Latin_1-x", "utf-7"]
COOKIES += ["unicode_escape", "cp037", "utf-16", "rot13", "hex", "base64", "zlib", "punycode"]
COOKIES += ["undefined", "mbcs", "no-such-codec"]


@pytest.mark.parametrize("bom", [False, True], ids=["", "bom"])
@pytest.mark.parametrize("encoding", COOKIES)
def test_any_coding_cookie_is_read_or_reported_as_cpython_would(
    tmp_path: Path, encoding: str, bom: bool
) -> None:
    data = f"# -*- coding: {encoding} -*-\n{HEAD}{MISTAKE}\n".encode("ascii")
    data = codecs.BOM_UTF8 + data if bom else data
    try:
        compile(data, "cookie.py", "exec")
    except SyntaxError:
        valid = False
    else:
        valid = True
    path = tmp_path / "cookie.py"
    path.write_bytes(data)
    findings = lint(path)
    if valid:
        assert [f.code for f in findings] == ["OTL301"]
    else:
        # What does decode may still not be Python (cp037 turns ASCII into other letters).
        assert [f.code for f in findings] == [UNREADABLE]


@pytest.mark.parametrize("name", ["cr", "mixed endings", "form feed", "unicode separators"])
def test_noqa_applies_to_the_line_cpython_numbers(tmp_path: Path, name: str) -> None:
    data, _, _ = UNUSUAL[name]
    text = data.decode()
    path = tmp_path / "suppressed.py"
    path.write_bytes(text.replace(MISTAKE, f"{MISTAKE}  # noqa: OTL301").encode())
    assert lint(path, report_unused_noqa=True) == []


@pytest.mark.parametrize(
    "name", ["non-ascii identifiers", "astral characters", "cr", "tabs", "unicode separators"]
)
def test_text_and_json_output_point_at_the_key(tmp_path: Path, name: str) -> None:
    data, line, column = UNUSUAL[name]
    path = tmp_path / "shown.py"
    path.write_bytes(data)
    start = column + KEY_START

    code, out, _ = cli("--output-format", "json", path)
    assert code == 1
    [finding] = json.loads(out)
    assert (finding["line"], finding["column"]) == (line, start)

    code, out, _ = cli(path)
    assert code == 1
    location, _, source, caret = out.splitlines()[:4]
    assert location.startswith(f"{path}:{line}:{start}: OTL301")
    shown = source.split(" | ", 1)[1]
    marks = caret.split(" | ", 1)[1]
    assert shown.endswith(MISTAKE)
    # The caret sits under the key whatever the characters before it are.
    assert marks.index("^") == start - 1
    assert shown[marks.index("^") :].startswith('"http.method"')
