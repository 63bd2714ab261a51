"""Reading deployment files: the environment variables they set, each at its line, and which
folder a compose service is built from.

Compose files and Kubernetes manifests are read with PyYAML's *composer* and its safe loader:
it builds a tree of nodes (scalars, lists, mappings, each with its line) and never constructs a
Python object, so no tag in a file can make the linter run code. Dockerfiles, ``.env`` files and
Procfiles are read line by line. Nothing here imports the code it reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: A compose file, by its name (``compose.yaml``, ``docker-compose.prod.yml``).
COMPOSE_FILE = re.compile(r"^(docker-)?compose[^/]*\.ya?ml$")
#: A Dockerfile, by its name (``Dockerfile``, ``Dockerfile.worker``, ``api.dockerfile``).
DOCKERFILE = re.compile(r"^(Dockerfile[^/]*|[^/]*\.dockerfile)$", re.IGNORECASE)
#: An env file (``.env``, ``.env.production``, ``prod.env``).
ENV_FILE = re.compile(r"^(\.env(\.[^/]*)?|[^/]*\.env)$")
PROCFILE = re.compile(r"^Procfile$")
#: A YAML file that may be a Kubernetes manifest (read only if it holds ``kind:`` and ``env:``).
YAML_FILE = re.compile(r"\.ya?ml$")


@dataclass(frozen=True)
class Setting:
    """One environment variable set in a deployment file, where its value starts."""

    name: str
    value: str
    #: 1-based line and column of the value (or of the name, when the value has no place).
    line: int
    column: int
    #: The compose service or Kubernetes container it is set for ("" when the whole file).
    owner: str = ""


@dataclass(frozen=True)
class ComposeService:
    """A compose service: the lines of its block and the folders (relative to the compose file)
    it is built from or runs in."""

    name: str
    first_line: int
    last_line: int
    folders: tuple[str, ...]


def file_kind(name: str, text: str) -> str | None:
    """``compose``, ``dockerfile``, ``env``, ``procfile`` or ``kubernetes`` for a file whose
    settings can be read, by its name (and, for other YAML files, by its text); else None."""
    if COMPOSE_FILE.match(name):
        return "compose"
    if DOCKERFILE.match(name):
        return "dockerfile"
    if ENV_FILE.match(name):
        return "env"
    if PROCFILE.match(name):
        return "procfile"
    if YAML_FILE.search(name) and re.search(r"^kind:", text, re.MULTILINE) and "env:" in text:
        return "kubernetes"
    return None


def _compose_nodes(text: str) -> list[Any]:
    """The documents of a YAML text as node trees; an empty list if it is not valid YAML."""
    # Here, not at the top: only a run that reads a compose file or manifest needs PyYAML.
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return [node for node in yaml.compose_all(text, Loader=loader) if node is not None]
    except (yaml.YAMLError, RecursionError, ValueError):
        return []


def _mapping(node: Any) -> list[tuple[Any, Any]]:
    """A mapping node's (key, value) pairs, ``<<`` merges followed (nearest first wins)."""
    if type(node).__name__ != "MappingNode":
        return []
    pairs: list[tuple[Any, Any]] = []
    merged: list[tuple[Any, Any]] = []
    for key, value in node.value:
        if getattr(key, "value", None) == "<<":
            sources = value.value if type(value).__name__ == "SequenceNode" else [value]
            for source in sources:
                merged.extend(_mapping(source))
        else:
            pairs.append((key, value))
    return pairs + merged


def _get(node: Any, name: str) -> Any:
    for key, value in _mapping(node):
        if getattr(key, "value", None) == name:
            return value
    return None


def _scalar(node: Any) -> str | None:
    if type(node).__name__ == "ScalarNode" and isinstance(node.value, str):
        return str(node.value)
    return None


def _sequence(node: Any) -> list[Any]:
    return list(node.value) if type(node).__name__ == "SequenceNode" else []


def _place(node: Any) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def compose_services(text: str) -> list[ComposeService]:
    """The services of a compose file, with the folders each is tied to: its ``build`` path or
    ``build.context``, and the host folder mounted at its ``working_dir``."""
    found: list[ComposeService] = []
    for document in _compose_nodes(text):
        for key, service in _mapping(_get(document, "services")):
            name = _scalar(key)
            if name is None or type(service).__name__ != "MappingNode":
                continue
            folders: list[str] = []
            build = _get(service, "build")
            context = _scalar(build) or _scalar(_get(build, "context"))
            if context is not None and "://" not in context:
                folders.append(context)
            working_dir = _scalar(_get(service, "working_dir"))
            for volume in _sequence(_get(service, "volumes")):
                mount = _scalar(volume) or ""
                host, _, inside = mount.partition(":")
                inside = inside.split(":", 1)[0]
                mounted_at = inside.rstrip("/")
                if working_dir and host.startswith(".") and mounted_at == working_dir.rstrip("/"):
                    folders.append(host)
            end = service.end_mark.line + (1 if service.end_mark.column else 0)
            found.append(ComposeService(name, key.start_mark.line + 1, end, tuple(folders)))
    return found


def _environment(node: Any, owner: str) -> list[Setting]:
    """``environment:`` as a map (``KEY: value``) or a list (``- KEY=value``)."""
    settings: list[Setting] = []
    for key, value in _mapping(node):
        name = _scalar(key)
        if name is not None:
            text = _scalar(value)
            line, column = _place(value if text is not None else key)
            settings.append(Setting(name, text or "", line, column, owner))
    for item in _sequence(node):
        entry = _scalar(item)
        if entry is not None and "=" in entry:
            name, _, text = entry.partition("=")
            line, column = _place(item)
            # The value's column when the item is written plain on its line.
            settings.append(Setting(name.strip(), text, line, column + len(name) + 1, owner))
    return settings


def _compose_settings(text: str) -> list[Setting]:
    settings: list[Setting] = []
    for document in _compose_nodes(text):
        for key, service in _mapping(_get(document, "services")):
            owner = _scalar(key) or ""
            settings += _environment(_get(service, "environment"), owner)
    return settings


def _kubernetes_settings(text: str) -> list[Setting]:
    """``env:`` of every container (``- name: X`` / ``value: "..."``) in every document."""
    settings: list[Setting] = []
    for document in _compose_nodes(text):
        for container in _containers(document, depth=0):
            owner = _scalar(_get(container, "name")) or ""
            for variable in _sequence(_get(container, "env")):
                name, value = _scalar(_get(variable, "name")), _get(variable, "value")
                if name is None or _scalar(value) is None:
                    continue  # valueFrom: set elsewhere
                line, column = _place(value)
                settings.append(Setting(name, _scalar(value) or "", line, column, owner))
    return settings


def _containers(node: Any, depth: int) -> list[Any]:
    """Container specs below ``node`` (``containers:`` / ``initContainers:`` lists), however deep
    the workload nests them (Pod, Deployment, CronJob); ``depth`` bounds aliases that loop."""
    if depth > 12:
        return []
    found: list[Any] = []
    for key, value in _mapping(node):
        if _scalar(key) in ("containers", "initContainers"):
            found += [item for item in _sequence(value) if type(item).__name__ == "MappingNode"]
        else:
            found += _containers(value, depth + 1)
    for item in _sequence(node):
        found += _containers(item, depth + 1)
    return found


_DOCKER_ENV = re.compile(r"^\s*ENV\s+", re.IGNORECASE)
_ASSIGNMENT = re.compile(r"""([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)""")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$")


def _unquoted(value: str) -> tuple[str, int]:
    """A value without its quotes, and how many characters the opening quote took."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1], 1
    return value, 0


def _lines(text: str) -> list[str]:
    """Lines as the findings count them: split at LF, a CR before it dropped."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def _dockerfile_settings(text: str) -> list[Setting]:
    """``ENV KEY=value KEY2="v"`` and the legacy ``ENV KEY value`` form."""
    settings: list[Setting] = []
    for number, line in enumerate(_lines(text), start=1):
        start = _DOCKER_ENV.match(line)
        if start is None:
            continue
        rest = line[start.end() :]
        # The legacy form, one variable whose value is the rest of the line: its first word
        # has no `=`.
        legacy = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$", rest)
        if legacy is not None:
            value, quote = _unquoted(legacy.group(2).strip())
            column = start.end() + legacy.start(2) + quote + 1
            settings.append(Setting(legacy.group(1), value, number, column))
            continue
        for pair in _ASSIGNMENT.finditer(rest):
            value, quote = _unquoted(pair.group(2))
            column = start.end() + pair.start(2) + quote + 1
            settings.append(Setting(pair.group(1), value, number, column))
    return settings


def _env_file_settings(text: str) -> list[Setting]:
    settings: list[Setting] = []
    for number, line in enumerate(_lines(text), start=1):
        found = _ENV_LINE.match(line)
        if found is None or line.lstrip().startswith("#"):
            continue
        raw = found.group(2)
        if not raw.startswith(("'", '"')):
            raw = re.sub(r"\s+#.*$", "", raw).rstrip()  # a trailing comment after a space
        value, quote = _unquoted(raw.strip())
        settings.append(Setting(found.group(1), value, number, found.start(2) + quote + 1))
    return settings


def _procfile_settings(text: str) -> list[Setting]:
    """``web: OTEL_SERVICE_NAME=shop opentelemetry-instrument gunicorn app``: the assignments
    before the command (a shell's ``VAR=value command``), for the process named."""
    settings: list[Setting] = []
    for number, line in enumerate(_lines(text), start=1):
        process = re.match(r"^([A-Za-z0-9_-]+):\s*", line)
        if process is None:
            continue
        position = process.end()
        while (pair := _ASSIGNMENT.match(line, position)) is not None:
            value, quote = _unquoted(pair.group(2))
            column = pair.start(2) + quote + 1
            settings.append(Setting(pair.group(1), value, number, column, process.group(1)))
            position = pair.end()
            while position < len(line) and line[position] in " \t":
                position += 1
    return settings


def read_settings(kind: str, text: str) -> list[Setting]:
    """The environment variables a deployment file of ``kind`` (``file_kind``) sets."""
    reader = {
        "compose": _compose_settings,
        "kubernetes": _kubernetes_settings,
        "dockerfile": _dockerfile_settings,
        "env": _env_file_settings,
        "procfile": _procfile_settings,
    }.get(kind)
    return reader(text) if reader is not None else []
