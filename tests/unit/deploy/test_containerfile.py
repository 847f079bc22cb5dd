"""deploy/Containerfile, without a Docker engine: what it copies builds the wheel, it runs the
console script pyproject declares with options ``serve`` accepts, as a non-root user, and its
health check passes against a healthy server and fails against an unhealthy one.
"""

from __future__ import annotations

import ast
import fnmatch
import http.server
import importlib.metadata
import subprocess
import sys
import sysconfig
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from care_contracts.services.cli import app
from tests.unit.deploy.deploy_files import (
    CONTAINERFILE,
    DOCKERIGNORE,
    REPO,
    Instruction,
    containerfile,
    k8s_documents,
    option_value,
)

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _one(keyword: str) -> Instruction:
    found = [i for i in containerfile() if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
    return found[0]


def _env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in containerfile():
        if instruction.keyword == "ENV":
            env |= dict(word.split("=", 1) for word in instruction.words())
    return env


def _script_name() -> str:
    (name,) = PYPROJECT["project"]["scripts"]
    return str(name)


def test_both_stages_start_from_python_3_12_slim() -> None:
    args = {
        words[0].split("=", 1)[0]: words[0].split("=", 1)[1]
        for words in (i.words() for i in containerfile() if i.keyword == "ARG")
    }
    bases = [i.words()[0] for i in containerfile() if i.keyword == "FROM"]
    resolved = [args[b[2:-1]] if b.startswith("${") else b for b in bases]
    assert resolved == ["python:3.12-slim", "python:3.12-slim"]


def test_the_build_stage_copies_everything_the_wheel_is_built_from() -> None:
    copied: set[str] = set()
    for instruction in containerfile():
        if instruction.keyword == "COPY" and not instruction.arguments.startswith("--from"):
            copied.update(Path(source).as_posix() for source in instruction.words()[:-1])
    setup = ast.parse((REPO / "setup.py").read_text(encoding="utf-8"))
    layers = next(
        ast.literal_eval(node.value)
        for node in ast.walk(setup)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "LAYERS" for t in node.targets)
    )
    needed = {"pyproject.toml", "setup.py", PYPROJECT["project"]["readme"], *layers}
    assert needed <= copied
    ignored = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for source in needed:
        assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source
    assert {"build", ".venv", ".env", ".git"} <= set(ignored), "no stale build or secrets"


def test_it_runs_as_the_same_non_root_user_kubernetes_expects() -> None:
    user = _one("USER").arguments.split(":")[0]
    assert user.isdigit(), "numeric, so runAsNonRoot can check it"
    assert int(user) != 0
    deployment = next(doc for _, doc in k8s_documents() if doc["kind"] == "Deployment")
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(user)


def test_data_dir_is_a_volume_and_the_served_port_is_exposed() -> None:
    assert _env()["CARE_CONTRACTS_DATA_DIR"] in _one("VOLUME").exec_form()
    port = option_value(_one("CMD").exec_form(), "--port")
    assert _one("EXPOSE").words() == [port]


def test_the_entrypoint_is_the_console_script_pyproject_declares_and_installs() -> None:
    name = _script_name()
    assert _one("ENTRYPOINT").exec_form() == [name]
    (installed,) = importlib.metadata.entry_points(group="console_scripts", name=name)
    assert installed.value == PYPROJECT["project"]["scripts"][name]


def test_serve_accepts_the_options_the_image_passes() -> None:
    command, *args = _one("CMD").exec_form()
    serve = typer.main.get_group(app).commands[command]
    context = serve.make_context(command, list(args))  # raises on an unknown or invalid option
    assert context.params["host"] == "0.0.0.0"
    assert context.params["port"] == int(option_value(args, "--port"))


def test_the_installed_console_script_runs_serve() -> None:
    script = Path(sysconfig.get_path("scripts")) / _script_name()
    command = _one("CMD").exec_form()[0]
    result = subprocess.run(
        [str(script), command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": str(script.parent), "COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    for option in ("--host", "--port"):
        assert option in result.stdout


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_server(request: pytest.FixtureRequest) -> Iterator[int]:
    handler = type("Handler", (_Health,), {"status": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("health_server", "healthy"), [(200, True), (503, False)], indirect=["health_server"]
)
def test_the_health_check_passes_only_while_healthz_answers_200(
    health_server: int, healthy: bool
) -> None:
    words = _one("HEALTHCHECK").words()
    check = _one("HEALTHCHECK").arguments.split(" CMD ", 1)[1]
    interpreter, flag, code = Instruction("CMD", check).exec_form()
    assert (interpreter, flag) == ("python", "-c")
    assert any(w.startswith("--timeout=") for w in words)
    port = option_value(_one("CMD").exec_form(), "--port")
    served = f"http://127.0.0.1:{port}/healthz"
    assert served in code
    code = code.replace(served, f"http://127.0.0.1:{health_server}/healthz")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=30, check=False
    )
    assert (result.returncode == 0) is healthy


def test_hadolint_finds_nothing_to_fix() -> None:
    hadolint = Path(sysconfig.get_path("scripts")) / "hadolint"
    result = subprocess.run(
        [str(hadolint), "--no-color", str(CONTAINERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
