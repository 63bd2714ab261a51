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
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from otel_lint.cli import main
from otel_lint.engine import UNREADABLE
from otel_lint.findings import Finding
from otel_lint.runner import RunOptions, run_lint
from otel_lint.time_limit import OutOfTime, time_limit

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


def otel_lint(path: Path, *options: str, timeout: float = 120) -> tuple[int, list[Finding], str]:
    """A real ``otel-lint check`` process (a native crash kills it, not the test run), in JSON.

    ``timeout`` is a hang guard far above what the check takes, not a timing assertion.
    """
    command = [sys.executable, "-m", "otel_lint.cli", "check", "--no-cache"]
    done = subprocess.run(
        [*command, "--output-format", "json", *options, str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    findings = [
        Finding(**{k: v for k, v in item.items() if k in FINDING_FIELDS})
        for item in json.loads(done.stdout)
    ]
    return done.returncode, findings, done.stderr


FINDING_FIELDS = ("code", "name", "message", "severity", "path", "line", "column")
FINDING_FIELDS += ("end_line", "end_column", "fingerprint")


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


# --- deep nesting --------------------------------------------------------------------------------

NESTED_HEAD = (
    "import logging\nfrom opentelemetry import metrics, trace\n"
    "tracer = trace.get_tracer(__name__)\nmeter = metrics.get_meter(__name__)\n"
    'counter = meter.create_counter("app.requests", unit="1")\n'
    "logger = logging.getLogger(__name__)\nspan = trace.get_current_span()\n"
    f"{MISTAKE}\n"
)
#: Where NESTED_HEAD's mistake is reported.
NESTED_MISTAKE = (8, 1 + KEY_START, 8, 1 + KEY_END)


def nested(shape: str, depth: int) -> str:
    """An expression ``depth`` levels deep in the way ``shape`` nests."""
    shapes = {
        "parentheses": lambda: "(" * depth + "user_id" + ")" * depth,
        "calls": lambda: "str(" * depth + "user_id" + ")" * depth,
        "lists": lambda: "[" * depth + "user_id" + "]" * depth,
        "dicts": lambda: '{"k": ' * depth + "user_id" + "}" * depth,
        "plus strings": lambda: " + ".join(['"a"'] * depth),
        "plus names": lambda: " + ".join(["user_id"] * depth),
        "plus f-strings": lambda: " + ".join(['f"{user_id}"'] * depth),
        "times": lambda: " * ".join(["n"] * depth),
        "and": lambda: " and ".join(["user_id"] * depth),
        "or strings": lambda: " or ".join(['"a"'] * depth),
        "conditionals": lambda: "a if b else " * depth + "user_id",
        "not": lambda: "not " * depth + "user_id",
        "minus": lambda: "-" * depth + "n",
        "attributes": lambda: "request" + ".user" * depth,
        "subscripts": lambda: "rows" + "[0]" * depth,
        "method calls": lambda: "builder" + ".add()" * depth,
        "same-value methods": lambda: "user_id" + ".strip()" * depth,
        "same-value attributes": lambda: "user" + ".value" * depth,
        "powers": lambda: " ** ".join(["n"] * depth),
        "implicit concatenation": lambda: " ".join(['"a"'] * depth),
    }
    return shapes[shape]()


def nested_program(expression: str) -> str:
    """NESTED_HEAD, then ``expression`` wherever a check reads an expression."""
    return NESTED_HEAD + "".join(
        f"{line}\n"
        for line in (
            f"with tracer.start_as_current_span({expression}):\n    x = {expression}",
            f'span.set_attribute("app.value", {expression})',
            f'counter.add(1, {{"app.key": {expression}}})',
            f"logger.info({expression})",
            f"{expression}.set_attribute('app.key', 1)",
        )
    )


SHAPES = [
    "parentheses", "calls", "lists", "dicts", "plus strings", "plus names", "plus f-strings",
    "times", "and", "or strings", "conditionals", "not", "minus", "attributes", "subscripts",
    "method calls", "same-value methods", "powers", "implicit concatenation",
]  # fmt: skip
#: About as deep as CPython 3.11 compiles each shape: it allows 200 nested brackets, and chains of
#: about 3,000 terms (1,500 for method calls, which nest twice per term).
CPYTHON_DEPTH = {"parentheses": 190, "calls": 190, "lists": 190, "dicts": 190}
CPYTHON_DEPTH |= {"method calls": 1400, "same-value methods": 1400}


ACCEPTED = [(shape, CPYTHON_DEPTH.get(shape, 1500)) for shape in SHAPES]
# Near the limit: about 3,000 terms at module level, and compile() counts pytest's frames too.
ACCEPTED.append(("plus names", 2_500))


@pytest.mark.parametrize(("shape", "depth"), ACCEPTED, ids=[f"{s}-{d}" for s, d in ACCEPTED])
def test_nesting_as_deep_as_cpython_accepts_is_linted(
    tmp_path: Path, shape: str, depth: int
) -> None:
    source = nested_program(nested(shape, depth))
    compile(source, "nested.py", "exec")
    path = tmp_path / "nested.py"
    path.write_text(source)
    findings = lint(path)
    assert [f for f in findings if f.code == UNREADABLE] == []
    assert where(findings) == [NESTED_MISTAKE]


def test_an_expression_too_deep_for_a_check_is_an_otl000_there(tmp_path: Path) -> None:
    """``.value`` carries its owner's values, so the check follows it, recursively: in a chain
    longer than the recursion limit it gives up on that expression and the rest is checked."""
    path = tmp_path / "values.py"
    path.write_text(nested_program(nested("same-value attributes", 1500)))
    findings = lint(path)
    assert where(findings) == [NESTED_MISTAKE]
    deep = [f for f in findings if f.code == UNREADABLE]
    assert deep and all("nests too deeply" in f.message for f in deep)
    assert {f.line for f in deep} <= {9, 10, 11, 12, 13, 14}


#: Long but flat: generated tables, argument lists and concatenations of 20,000 strings.
FLAT = {
    "list": "table = [" + ", ".join(f'"s{i}"' for i in range(20_000)) + "]",
    "concatenation": "text = (" + " ".join(f'"s{i}"' for i in range(20_000)) + ")",
    "call": "f(" + ", ".join(f'"s{i}"' for i in range(20_000)) + ")",
    "set_attribute": "span.set_attribute(" + ", ".join(f'"s{i}"' for i in range(20_000)) + ")",
    "attributes": "span.set_attributes({" + ", ".join(f'"k{i}": {i}' for i in range(20_000)) + "})",
}


@pytest.mark.parametrize("name", FLAT)
def test_long_flat_expressions_are_linted(tmp_path: Path, name: str) -> None:
    path = tmp_path / "flat.py"
    path.write_text(f"{HEAD}{FLAT[name]}\n{MISTAKE}\n")
    _, findings, _ = otel_lint(path, timeout=60)
    assert [f for f in findings if f.code == UNREADABLE] == []
    assert where(findings) == [(5, 1 + KEY_START, 5, 1 + KEY_END)]


DEEPER = ["plus strings", "dicts", "conditionals", "parentheses", "method calls", "and"]


@pytest.mark.parametrize("shape", DEEPER)
def test_nesting_deeper_than_cpython_accepts_is_an_otl000_that_says_so(
    tmp_path: Path, shape: str
) -> None:
    """20,000 levels: CPython gives up (RecursionError, too many parentheses); so do we, fast.

    Linting these took minutes in one ast-grep call for strings and dicts (a node's parent costs
    time in proportion to its depth); the tree's depth is now measured first. CPython keeps an
    ``and`` chain flat and compiles it; tree-sitter nests it like the others, and it is declined
    the same way.
    """
    source = nested_program(nested(shape, 20_000))
    if shape == "and":
        compile(source, "deeper.py", "exec")
    else:
        with pytest.raises((RecursionError, SyntaxError, MemoryError)):
            compile(source, "deeper.py", "exec")
    path = tmp_path / "deeper.py"
    path.write_text(source)
    code, findings, _ = otel_lint(path, timeout=60)
    assert code == 1
    [finding] = findings
    assert finding.code == UNREADABLE
    assert re.search(r"nested more than 3,000 levels deep at line (9|1[0-4])$", finding.message)
    assert 9 <= finding.line <= 14


# --- big files -----------------------------------------------------------------------------------


def test_a_single_expression_of_10000_lines_is_linted(tmp_path: Path) -> None:
    keys = [f'    "app.key_{i}": {i},\n' for i in range(10_000)]
    keys[5_000] = '    "http.method": "GET",\n'
    path = tmp_path / "one_expression.py"
    path.write_text(f"{HEAD}span.set_attributes({{\n{''.join(keys)}}})\n{MISTAKE}\n")
    findings = lint(path)
    assert [f for f in findings if f.code == UNREADABLE] == []
    assert where(findings) == [(5_005, 5, 5_005, 18), (10_006, 1 + KEY_START, 10_006, 1 + KEY_END)]


def generated_module(size: int) -> str:
    """A generated module of about ``size`` characters, mostly data tables, as code generators
    write them, with an instrumented function after each table; one mistake at each end."""
    head = (
        f"{HEAD}{MISTAKE}\nmeter = trace.get_tracer_provider()\n"
        "tracer = trace.get_tracer(__name__)\n\n\n"
    )
    blocks = [head]
    written, number = len(head), 0
    while written < size:
        rows = "".join(f'    ("key-{number}-{j}", {j}, {j}.5, "value {j}"),\n' for j in range(400))
        block = (
            f"TABLE_{number} = [\n{rows}]\n\n\n"
            f"def handler_{number}(request):\n"
            f'    with tracer.start_as_current_span("handler_{number}") as current:\n'
            f'        current.set_attribute("acme.table", {number})\n'
            f"        return TABLE_{number}[request.index]\n\n\n"
        )
        blocks.append(block)
        written += len(block)
        number += 1
    return "".join(blocks) + f"{MISTAKE}\n"


@pytest.mark.slow
def test_a_20_mb_generated_file_is_linted(tmp_path: Path) -> None:
    """About 30 s and 1.5 GB here (the parsed tree takes some 70 bytes a character), in a
    process of its own. Before facts about the whole file were computed once per file, a file
    like this took minutes: 465 s for 2 MB of instrumented functions."""
    source = generated_module(20 * 1024 * 1024)
    path = tmp_path / "generated.py"
    path.write_text(source)
    last = source.count("\n")
    code, findings, _ = otel_lint(path, timeout=600)
    assert code == 1
    assert [f.code for f in findings] == ["OTL301", "OTL301"]
    assert where(findings) == [
        (4, 1 + KEY_START, 4, 1 + KEY_END),
        (last, 1 + KEY_START, last, 1 + KEY_END),
    ]


# --- the time limit per file ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_and_quick(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated module of just under 2 MiB (seconds of checks: too slow for half a second per
    MiB) and a small file with a mistake, in one folder."""
    folder = tmp_path_factory.mktemp("time_limit")
    (folder / "generated.py").write_text(generated_module(2 * 1024 * 1024 - 64 * 1024))
    (folder / "quick.py").write_text(f"{HEAD}{MISTAKE}\n")
    return folder


def test_a_file_over_its_time_limit_is_an_otl000_naming_it(slow_and_quick: Path) -> None:
    code, findings, _ = otel_lint(slow_and_quick, "--file-time-limit", "0.5")
    assert code == 1
    late = [f for f in findings if f.path.endswith("generated.py")]
    assert [f.code for f in late] == [UNREADABLE]
    assert late[0].message == (
        "file could not be checked: checking it took longer than 1 s, its time limit "
        "(`file-time-limit`: 0.5 s per started MiB of source)"
    )
    assert where([f for f in findings if f.path.endswith("quick.py")]) == [
        (4, 1 + KEY_START, 4, 1 + KEY_END)
    ]


def test_the_time_limit_is_a_setting_and_a_late_file_is_not_cached(
    slow_and_quick: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_LINT_CACHE_DIR", str(tmp_path / "cache"))
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.otel-lint]\nfile-time-limit = 0.25\n")
    (project / "generated.py").write_bytes((slow_and_quick / "generated.py").read_bytes())
    outcome = run_lint(RunOptions(paths=(project,)))
    assert [(f.code, "0.25 s per started MiB" in f.message) for f in outcome.findings] == [
        (UNREADABLE, True)
    ]
    # With the cache on: a later run without the limit checks the file instead of remembering.
    outcome = run_lint(RunOptions(paths=(project,), file_time_limit=0))
    assert [f.code for f in outcome.findings] == ["OTL301", "OTL301"]


def test_without_a_signal_the_limit_is_checked_between_candidates(slow_and_quick: Path) -> None:
    """Signals reach only the main thread; elsewhere (and on Windows) the engine looks at the
    clock before each candidate."""
    found: list[Finding] = []
    options = RunOptions(paths=(slow_and_quick / "generated.py",), file_time_limit=0.25)
    worker = threading.Thread(target=lambda: found.extend(run_lint(options).findings))
    worker.start()
    worker.join(timeout=120)
    assert [f.code for f in found] == [UNREADABLE]
    assert "took longer than 0.5 s" in found[0].message


@pytest.mark.parametrize(
    ("value", "toml"), [("-1", "-1"), ("nan", "nan"), ("inf", "inf"), ("soon", '"soon"')]
)
def test_a_time_limit_that_is_not_seconds_is_a_usage_error(
    value: str, toml: str, tmp_path: Path
) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        main(["check", "--file-time-limit", value, str(tmp_path)])
    assert exit_.value.code == 2
    assert f"not a number of seconds (0 or more): {value}" in err.getvalue()
    (tmp_path / "pyproject.toml").write_text(f"[tool.otel-lint]\nfile-time-limit = {toml}\n")
    code, _, err_text = cli(tmp_path)
    assert code == 2
    assert "`file-time-limit`" in err_text


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers here")
def test_the_limit_gives_back_a_timer_someone_else_set() -> None:
    """pytest-timeout, for one, sets a timer and a SIGALRM handler of its own."""
    theirs = signal.signal(signal.SIGALRM, lambda signum, frame: None)
    handler = signal.getsignal(signal.SIGALRM)
    try:
        signal.setitimer(signal.ITIMER_REAL, 60)
        with pytest.raises(OutOfTime), time_limit(0.05):
            time.sleep(5)  # the signal interrupts the sleep
        with time_limit(5):
            pass
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 30 < left <= 60
        assert signal.getsignal(signal.SIGALRM) is handler
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, theirs)
