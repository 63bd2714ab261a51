"""The one constant and scope resolver: literals behind names, and the binding reaching a use."""

from __future__ import annotations

from pathlib import Path

from ast_grep_py import SgNode, SgRoot

from otel_lint.checks.syntax import constants
from otel_lint.checks.syntax.constants import class_literals, last_name, reaching_bindings
from otel_lint.engine.modules import ProjectModules, module_file


def _root(source: str) -> SgNode:
    return SgRoot(source, "python").root()


def _use(root: SgNode, marker: str = "use") -> SgNode:
    call = root.find(pattern=f"{marker}($X)")
    assert call is not None
    found = call.get_match("X")
    assert found is not None
    return found


def _values(source: str) -> list[str]:
    root = _root(source)
    return [value.text() for value in reaching_bindings(_use(root))]


def test_class_literals_name_class_attributes_bound_once() -> None:
    root = _root(
        'class Attrs:\n    INPUT = "gen_ai.input.messages"\n    TWICE = "a"\n    TWICE = "b"\n'
        "    def f(self):\n        LOCAL = 'x'\n"
    )
    assert {name: value.text() for name, value in class_literals(root).items()} == {
        "Attrs.INPUT": '"gen_ai.input.messages"'
    }


def test_last_name_of_a_path_and_of_a_node() -> None:
    root = _root("self.client.get()\n")
    call = root.find(kind="call")
    assert call is not None and last_name("self.client") == "client"
    function = call.field("function")
    assert function is not None and last_name(function) == "get"
    assert last_name(call) == ""


def test_the_nearest_assignment_in_the_same_branch_reaches_the_use() -> None:
    source = (
        "def setup(debug):\n"
        "    exporter = OTLPSpanExporter()\n"
        "    if debug:\n"
        "        exporter = ConsoleSpanExporter()\n"
        "        use(exporter)\n"
    )
    assert _values(source) == ["ConsoleSpanExporter()"]


def test_a_sibling_branch_never_reaches_the_use() -> None:
    source = (
        "if debug:\n"
        "    exporter = OTLPSpanExporter()\n"
        "else:\n"
        "    exporter = ConsoleSpanExporter()\n"
        "    use(exporter)\n"
    )
    assert _values(source) == ["ConsoleSpanExporter()"]


def test_after_a_branch_every_value_assigned_in_it_may_reach() -> None:
    source = "if debug:\n    e = A()\nelse:\n    e = B()\nuse(e)\n"
    assert _values(source) == ["A()", "B()"]


def test_other_bindings_and_parameters_reach_as_unknown() -> None:
    assert _values("def f(e):\n    use(e)\n") == []
    assert _values("e = A()\nfor e in items:\n    pass\nuse(e)\n") == []
    assert _values("e = 1\ne += 1\nuse(e)\n") == []
    assert _values("e = 1\ne, f = pair\nuse(e)\n") == []
    assert _values("e = {}\ne['k'] = 1\nuse(e)\n") == ["{}"]
    assert _values("e = 1\ndef g():\n    e = 2\nuse(e)\n") == ["1"]


def test_imported_modules_are_found_as_python_finds_them(tmp_path: Path) -> None:
    """Relative imports from the file's package, absolute ones from above its top package (a
    ``src`` layout included); never a module the project does not hold."""
    package = tmp_path / "src" / "shop"
    (package / "telemetry").mkdir(parents=True)
    for name in ("__init__.py", "telemetry/__init__.py"):
        (package / name).write_text('PACKAGE_KEY = "shop.package"\n')
    (package / "telemetry" / "keys.py").write_text(
        'ORDER = "shop.order.id"\nORDER = "twice"\nclass Attrs:\n    TIER = "shop.tier"\n'
        "COUNT = 3\n"
    )
    importer = package / "telemetry" / "spans.py"
    importer.write_text("")
    keys = package / "telemetry" / "keys.py"
    assert module_file(importer, "keys", 1) == keys
    assert module_file(importer, "telemetry.keys", 2) == keys
    assert module_file(importer, "shop.telemetry.keys", 0) == keys
    assert module_file(importer, "", 1) == package / "telemetry" / "__init__.py"
    assert module_file(importer, "requests", 0) is None
    assert module_file(importer, "shop.missing", 0) is None
    read = ProjectModules(importer)
    # Bound twice is not a constant; only strings are kept.
    assert dict(read("keys", 1) or {}) == {"Attrs.TIER": "shop.tier"}
    assert read("requests", 0) is None
    assert [path for path, _ in read.used()] == [str(keys)]


def _statements_read(writes: int) -> int:
    """How many statements ``reaching_bindings`` reads to resolve ``span`` in every write of a
    function holding ``writes`` of them, with one memo for the file (as the checks share it)."""
    lines = ["def handle(order):", "    span = trace.get_current_span()"]
    lines += [f"    span.set_attribute('acme.f{i}', order.total)" for i in range(writes)]
    root = SgRoot("\n".join(lines) + "\n", "python").root()
    memo: constants.BindingMemo = {}
    read = 0
    original = constants._binding_in

    def counting(earlier: SgNode, name: str) -> tuple[SgNode, ...] | None:
        nonlocal read
        read += 1
        return original(earlier, name)

    constants._binding_in = counting
    try:
        for use in root.find_all(kind="identifier", regex="^span$"):
            parent = use.parent()
            if parent is not None and parent.kind() == "attribute":
                assert [v.text() for v in reaching_bindings(use, memo)] == [
                    "trace.get_current_span()"
                ]
    finally:
        constants._binding_in = original
    return read


def test_the_uses_of_one_file_share_the_walk_back_to_a_binding() -> None:
    # Each statement is read once per name, however many uses follow it: twice the writes, about
    # twice the reading (it was four times: every use walked back over every write before it).
    assert _statements_read(400) <= 2 * _statements_read(200) + 2
    assert _statements_read(200) <= 200 + 2
