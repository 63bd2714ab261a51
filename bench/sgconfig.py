"""The reference: our rules/ YAML in ast-grep's rule format, with a generated sgconfig.yml.

ast-grep runs only the structural matcher of each rule; the Python judgement a rule names
(``check:``) and the project facts (``requires:``) have no ast-grep equivalent, so the reference
does strictly less work per match than otel-lint. That is the point of the comparison: how much
the Python side costs on top of the same matching. ``prefilter:`` and ``narrowing:`` are otel-lint's
own way of not searching files a rule cannot report in; the reference runs every rule in full on
every file, as the rule is written.
"""

from __future__ import annotations

from pathlib import Path

import yaml

#: Keys ast-grep's rule format knows; everything else (docs, examples, check, requires, name,
#: code, prefilter, narrowing) is ours and is dropped.
_KEPT = ("message", "rule", "constraints", "utils", "transform", "fix")
_SEVERITIES = {"error": "error", "warning": "warning", "info": "info"}


def convert_rule(ours: dict[str, object]) -> dict[str, object] | None:
    """One of our rules as an ast-grep rule, or None when it has no ``rule`` to match."""
    if not ours.get("rule"):
        return None
    converted: dict[str, object] = {
        "id": ours["code"],
        "language": "python",
        "severity": _SEVERITIES.get(str(ours.get("severity", "")), "hint"),
    }
    converted.update({key: ours[key] for key in _KEPT if key in ours})
    return converted


class _IntentLoader(yaml.SafeLoader):
    """A loader that notes duplicate mapping keys and keeps every occurrence under ``all``.

    PyYAML (and so otel-lint) silently keeps the last of two equal keys; ast-grep refuses the file.
    Two ``any:`` blocks under one rule almost certainly mean "both", so for the reference each
    occurrence becomes one entry of an ``all:`` list.
    """

    duplicates: list[str]


def _mapping_with_intent(loader: _IntentLoader, node: yaml.MappingNode) -> dict[object, object]:
    pairs = [
        (loader.construct_object(k, deep=True), loader.construct_object(v, deep=True))
        for k, v in node.value
    ]
    keys = [key for key, _ in pairs]
    repeated = {key for key in keys if keys.count(key) > 1}
    mapping: dict[object, object] = {}
    both: list[object] = []
    for (key, value), (key_node, _) in zip(pairs, node.value, strict=True):
        if key in repeated:
            loader.duplicates.append(f"line {key_node.start_mark.line + 1}: {key}")
            both.append({key: value})
        else:
            mapping[key] = value
    if both:
        existing = mapping.pop("all", [])
        mapping["all"] = [*(existing if isinstance(existing, list) else [existing]), *both]
    return mapping


_IntentLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_intent)


def load_with_intent(path: Path) -> tuple[object, list[str]]:
    """The YAML of ``path`` with duplicate keys kept as ``all``, and where they were."""
    loader = _IntentLoader(path.read_text(encoding="utf-8"))
    loader.duplicates = []
    try:
        return loader.get_single_data(), loader.duplicates
    finally:
        loader.dispose()


def write_utils(rules_dir: Path, into: Path) -> tuple[Path, list[str]]:
    """The shared utils in a form ast-grep accepts, with a warning for each file that needed it."""
    utils_dir = into / "utils"
    utils_dir.mkdir(parents=True, exist_ok=True)
    warnings = []
    for path in sorted((rules_dir / "utils").glob("*.yaml")):
        util, duplicates = load_with_intent(path)
        if duplicates:
            warnings.append(
                f"rules/utils/{path.name} repeats a key ({', '.join(duplicates)}): otel-lint keeps "
                "only the last, ast-grep refuses it; the reference runs both under `all:`"
            )
        (utils_dir / path.name).write_text(yaml.safe_dump(util, sort_keys=False), encoding="utf-8")
    return utils_dir, warnings


def write_sgconfig(rules_dir: Path, into: Path) -> tuple[Path, int, list[str]]:
    """Write ``into/sgconfig.yml``, ``into/rules/*.yml`` and ``into/utils/*.yaml``.

    Returns the config, the rule count and warnings about util files ast-grep would refuse.
    """
    converted_dir = into / "rules"
    converted_dir.mkdir(parents=True, exist_ok=True)
    utils_dir, warnings = write_utils(rules_dir, into)
    count = 0
    for path in sorted(rules_dir.glob("OTL*.yaml")):
        ours, duplicates = load_with_intent(path)
        if duplicates:
            warnings.append(f"rules/{path.name} repeats a key ({', '.join(duplicates)})")
        rule = convert_rule(ours)  # type: ignore[arg-type]
        if rule is None:
            continue
        (converted_dir / f"{rule['id']}.yml").write_text(
            yaml.safe_dump(rule, sort_keys=False), encoding="utf-8"
        )
        count += 1
    config = into / "sgconfig.yml"
    config.write_text(
        yaml.safe_dump({"ruleDirs": [str(converted_dir)], "utilDirs": [str(utils_dir)]}),
        encoding="utf-8",
    )
    return config, count, warnings
