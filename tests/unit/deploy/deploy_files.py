"""Reading the files under ``deploy/`` for the tests: YAML documents, nats-server configurations
and the Containerfile, each parsed into plain data so a test states what it expects.

The nats-server configuration parser covers the syntax our files use (maps, arrays, quoted and
bare values, ``:``/``=``/space separators, ``#`` and ``//`` comments); ``nats-server -t`` is the
authority on validity, this only lets a test read values.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from care_contracts.services.settings import Settings

__all__ = [
    "COMPOSE",
    "CONTAINERFILE",
    "DEPLOY",
    "DOCKERIGNORE",
    "K8S",
    "NATS_CLUSTER",
    "NATS_SINGLE",
    "REPO",
    "SETTINGS_PREFIX",
    "Instruction",
    "containerfile",
    "k8s_documents",
    "load_yaml",
    "option_value",
    "parse_nats_conf",
    "setting_field",
]

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
NATS_SINGLE = DEPLOY / "nats" / "single.conf"
NATS_CLUSTER = tuple(DEPLOY / "nats" / "cluster" / f"nats-{n}.conf" for n in (1, 2, 3))
COMPOSE = DEPLOY / "compose.yaml"
CONTAINERFILE = DEPLOY / "Containerfile"
DOCKERIGNORE = REPO / ".dockerignore"
K8S = DEPLOY / "k8s"
SETTINGS_PREFIX = "CARE_CONTRACTS_"


def load_yaml(path: Path) -> Any:
    """The one YAML document in ``path``."""
    with path.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


def k8s_documents() -> list[tuple[Path, dict[str, Any]]]:
    """Every Kubernetes object under deploy/k8s (not the Helm values), with its file."""
    found: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "nats-values.yaml":
            continue
        with path.open(encoding="utf-8") as file:
            found.extend((path, doc) for doc in yaml.safe_load_all(file) if doc is not None)
    return found


def setting_field(env_key: str) -> str | None:
    """The ``Settings`` field a ``CARE_CONTRACTS_*`` variable sets, or None if it sets none."""
    if not env_key.startswith(SETTINGS_PREFIX):
        return None
    field = env_key.removeprefix(SETTINGS_PREFIX).lower()
    return field if field in Settings.model_fields else None


# --- nats-server configuration -------------------------------------------------------------

_NATS_TOKEN = re.compile(
    r"""(?P<skip>\s+|[,;]|\#[^\n]*|//[^\n]*)
      | (?P<punct>[{}\[\]:=])
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<word>[^\s,;{}\[\]:="#]+(?::[^\s,;{}\[\]"#]+)*)""",
    re.VERBOSE,
)


def _nats_tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text):
        match = _NATS_TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot read nats config at {text[position : position + 30]!r}")
        position = match.end()
        if match.lastgroup == "string":
            tokens.append("\0" + json.loads(match.group()))  # \0: a quoted value, not syntax
        elif match.lastgroup != "skip":
            tokens.append(match.group())
    return tokens


def parse_nats_conf(text: str) -> dict[str, Any]:
    """A nats-server configuration as nested dicts and lists of strings."""
    tokens = _nats_tokens(text)
    parsed, end = _nats_map(tokens, 0, closing=None)
    if end != len(tokens):
        raise ValueError("unbalanced braces in nats config")
    return parsed


@dataclass(frozen=True)
class ShippedNatsPorts:
    """The fixed ports a shipped nats-server node listens on inside its container.

    Read from the file, never written in a test: no test connects to them (the integration test
    rewrites them to free loopback ports in a copy, and checks none is left).
    """

    client: int
    cluster: int | None  # the single node has no route listener
    monitor: int


def shipped_nats_ports(path: Path) -> ShippedNatsPorts:
    config = parse_nats_conf(path.read_text(encoding="utf-8"))

    def port(listen: str) -> int:
        return int(listen.rsplit(":", 1)[1])

    cluster = config.get("cluster")
    return ShippedNatsPorts(
        client=port(config["listen"]),
        cluster=None if cluster is None else port(cluster["listen"]),
        monitor=port(config["http"]),
    )


def _nats_map(tokens: list[str], i: int, closing: str | None) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    while i < len(tokens) and tokens[i] != closing:
        key = tokens[i].lstrip("\0")
        i += 1
        if i < len(tokens) and tokens[i] in (":", "="):
            i += 1
        result[key], i = _nats_value(tokens, i)
    if closing is not None:
        i += 1  # the closing brace
    return result, i


def _nats_value(tokens: list[str], i: int) -> tuple[Any, int]:
    token = tokens[i]
    if token == "{":
        return _nats_map(tokens, i + 1, closing="}")
    if token == "[":
        items, i = [], i + 1
        while tokens[i] != "]":
            item, i = _nats_value(tokens, i)
            items.append(item)
        return items, i + 1
    return token.lstrip("\0"), i + 1


# --- Containerfile --------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One Containerfile instruction: its keyword (upper case) and its arguments' text."""

    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """The JSON (exec form) argument list of CMD, ENTRYPOINT or VOLUME."""
        value = json.loads(self.arguments)
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ValueError(f"{self.keyword} is not in exec form: {self.arguments}")
        return value

    def words(self) -> list[str]:
        return shlex.split(self.arguments)


def containerfile(path: Path = CONTAINERFILE) -> list[Instruction]:
    """The instructions of a Containerfile, continuation lines joined, comments dropped."""
    logical, pending = [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    instructions = []
    for line in logical:
        keyword, _, arguments = line.strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
    return instructions


def option_value(args: list[str], option: str) -> str:
    """The value given to ``--option`` in an argument list (``--port 8000`` or ``--port=8000``)."""
    for index, arg in enumerate(args):
        if arg == option:
            return args[index + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    raise KeyError(f"{option} not in {args}")
