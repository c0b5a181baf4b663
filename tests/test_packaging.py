"""The package as a user installs it: one wheel, one import name, every template inside."""

from __future__ import annotations

import ast
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYER_FOLDERS = {"kilab": ROOT / "src" / "kilab", "kilab.agents": ROOT / "agents"}
LAYER_FOLDERS |= {f"kilab.{name}": ROOT / name for name in ("tools", "graphs", "evals")}


def _setuptools_table() -> dict[str, object]:
    table: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]
    return table


def test_every_package_folder_is_listed_in_pyproject() -> None:
    """A new subpackage that pyproject.toml does not list would be missing from the wheel."""
    listed = set(_setuptools_table()["packages"])  # type: ignore[call-overload]
    found = set()
    for prefix, folder in LAYER_FOLDERS.items():
        for init in folder.rglob("__init__.py"):
            parts = init.parent.relative_to(folder).parts
            if "__pycache__" in parts:
                continue
            found.add(".".join((prefix, *parts)))
    assert found == listed


def test_package_dir_maps_the_layer_folders() -> None:
    mapping = _setuptools_table()["package-dir"]
    assert mapping == {name: str(path.relative_to(ROOT)) for name, path in LAYER_FOLDERS.items()}


def test_no_module_imports_a_layer_folder_by_its_old_top_level_name() -> None:
    """Inside the source tree ``import tools`` works by accident; from a wheel it fails."""
    offenders = []
    for folder in LAYER_FOLDERS.values():
        for path in folder.rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                offenders += [
                    f"{path}:{node.lineno} {name}"
                    for name in names
                    if name.split(".")[0] in ("agents", "tools", "graphs", "evals")
                ]
    assert offenders == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.integration
def test_the_wheel_installs_one_package_that_runs_eval_report_and_viewer(tmp_path: Path) -> None:
    """Build the wheel, install it into a fresh venv, run eval, report and one viewer page."""
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = dist.glob("kilab-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top_level = {name.split("/")[0] for name in names if not name.startswith("kilab-")}
    assert top_level == {"kilab"}
    assert "kilab/evals/report/templates/report.html.j2" in names
    assert "kilab/evals/viewer/templates/run.html.j2" in names
    assert "kilab/agents/prompts/judge.nb.md" in names
    assert "kilab/py.typed" in names

    # A fresh venv that sees this environment's dependencies (a plain path in a .pth file) but
    # not its editable kilab (a .pth inside that folder is not read from another venv).
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site_packages,) = venv.glob("lib/python3*/site-packages")
    here = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())
    (site_packages / "dependencies.pth").write_text(f"{here}\n")
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    install = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    installed = {p.name for p in site_packages.iterdir()} - {"dependencies.pth", "__pycache__"}
    assert {name for name in installed if not name.endswith(".dist-info")} == {"kilab"}

    project = tmp_path / "project"
    shutil.copytree(ROOT / "configs", project / "configs")
    (project / "data").symlink_to(ROOT / "data")
    env = {**os.environ, "KILAB_HOME": str(tmp_path / "home"), "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    kilab = str(venv / "bin" / "kilab")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [kilab, *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
        )

    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import kilab.evals; print(kilab.evals.__file__)"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(site_packages)), where.stdout
    assert run("--version").stdout.strip().startswith("kilab ")

    few = project / "few.jsonl"
    lines = (ROOT / "configs" / "datasets" / "husleie.jsonl").read_text(encoding="utf-8")
    few.write_text("".join(lines.splitlines(keepends=True)[:3]), encoding="utf-8")
    evaluated = run("eval", "husleie", "--dataset", str(few), "--no-cache")
    assert evaluated.returncode == 0, evaluated.stderr
    reported = run("report", "latest", "-o", "report.html")
    assert reported.returncode == 0, reported.stderr
    assert "<html" in (project / "report.html").read_text(encoding="utf-8")

    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [kilab, "serve", "--port", str(port)],
            cwd=project,
            env=env,
            stdout=output,
            stderr=output,
        )
    try:
        page = ""
        # Started from a fresh venv, the server compiles its bytecode first: on a loaded
        # machine that takes a while, so wait up to a minute for it to listen.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    page = response.read().decode()
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                time.sleep(0.1)
        assert "husleie" in page
    finally:
        server.terminate()
        server.wait(timeout=10)
