"""The container image, checked without a container engine (none runs where CI does): the
Dockerfile's parts, compose.yaml's replicas, and the image's own install and start commands
run in a fresh virtual environment, from the files the build context would hold."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import aiohttp
import pytest
import yaml

from sandbox.slack import FakeSlack
from storage import revisions
from tests.harness import free_port
from tests.processes import bot_env
from tests.wheelhouse import wheelhouse

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def only(keyword: str) -> list[str]:
    return [rest for key, rest in instructions() if key == keyword]


def install_command() -> str:
    """The `pip install …` the image runs."""
    commands = [part.strip() for run in only("RUN") for part in run.split("&&")]
    installs = [command for command in commands if command.startswith("pip install")]
    assert len(installs) == 1, installs
    return installs[0]


def production_commands() -> list[str]:
    """Every command line in README's "Production" section's code blocks."""
    section = (ROOT / "README.md").read_text().partition("\n## Production\n")[2]
    section = section.split("\n## ")[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]


def test_base_image_is_slim_python_3_11():
    assert len(only("FROM")) == 1
    assert re.fullmatch(r"python:3\.11-slim(-[a-z0-9]+)?", only("FROM")[0])


def test_it_runs_as_a_user_that_is_not_root():
    users = only("USER")
    assert users and users[-1].split(":")[0] not in {"root", "0"}


def test_health_check_asks_healthz_on_the_port():
    (check,) = only("HEALTHCHECK")
    assert "CMD python -c" in check
    assert "http://127.0.0.1:%s/healthz" in check and "os.environ.get('PORT'" in check
    assert only("EXPOSE") == ["3000"]


def test_install_is_the_readmes_production_install():
    assert install_command() == "pip install ."
    assert install_command() in production_commands()


def test_command_is_the_entry_point():
    assert only("CMD") == ['["incident-bot"]']
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"incident-bot": "bot.__main__:main"}
    assert "incident-bot" in production_commands()


def test_compose_runs_two_replicas_after_one_migration():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["migrate"]["command"] == ["incident-bot", "migrate"]
    for name, port in (("bot-1", 3001), ("bot-2", 3002)):
        replica = services[name]
        assert replica["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert (
            replica["environment"]["DATABASE_URL"]
            == services["migrate"]["environment"]["DATABASE_URL"]
        )
        assert replica["environment"]["AUTO_MIGRATE"] == "false"
        assert replica["ports"] == [f"{port}:3000"]
        assert replica["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert replica["env_file"] == [{"path": ".env", "required": False}]
    sandbox = services["sandbox"]
    assert sandbox["profiles"] == ["sandbox"] and "env_file" not in sandbox
    assert "deploy" not in sandbox  # one process: never more than one replica


def build_context(into: Path) -> Path:
    """Copy what `docker build` would send: the checkout less `.dockerignore`'s patterns."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(folder: str, names: list[str]) -> set[str]:
        relative = Path(folder).relative_to(ROOT)
        return {
            name
            for name in names
            for pattern in patterns
            if fnmatch.fnmatch(str(relative / name), pattern)
            or (pattern.startswith("**/") and fnmatch.fnmatch(name, pattern[3:]))
        }

    return Path(shutil.copytree(ROOT, into / "src", ignore=ignored, symlinks=True))


def in_venv(venv: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """A command of the fresh venv, with none of this checkout on its path."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    clean.pop("PYTHONPATH", None)
    clean["PATH"] = f"{venv / 'bin'}{os.pathsep}{clean.get('PATH', '')}"
    return subprocess.run(
        args, cwd=venv, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


def install(work: Path) -> Path:
    """A fresh venv with the project installed by the Dockerfile's own command, offline: from
    wheels of this venv's distributions (`--no-index --find-links`), and with the running pip
    standing in for the venv's (which saves ensurepip's few seconds)."""
    context = build_context(work)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wheels = wheelhouse(
        project["project"]["dependencies"] + project["build-system"]["requires"], work / "wheels"
    )
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    pip, verb, *args = shlex.split(install_command())
    assert (pip, verb) == ("pip", "install")
    # --no-compile: the .pyc files are written on first import anyway; compiling every
    # dependency up front was most of the install's time.
    offline = ["--no-index", "--find-links", str(wheels), "--no-compile"]
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), verb, *offline]
        + args,
        cwd=context,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return venv


def check_commands(venv: Path, tmp_path: Path) -> None:
    """--version, migrate and playbooks validate, from the venv alone."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    shown = in_venv(venv, ["incident-bot", "--version"])
    assert (shown.returncode, shown.stdout) == (0, f"incident-bot {version}\n")
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    migrated = in_venv(venv, ["incident-bot", "migrate"], DATABASE_URL=url)
    upgraded = f"Upgraded the database from empty to {revisions.head()} (head).\n"
    assert (migrated.returncode, migrated.stdout) == (0, upgraded), migrated.stderr
    site = next((venv / "lib").glob("python3*/site-packages"))
    pack = site / "playbooks" / "packs" / "quickmela.yml"
    validated = in_venv(venv, ["incident-bot", "playbooks", "validate", str(pack)])
    assert validated.returncode == 0 and "quickmela" in validated.stdout, validated.stderr
    for package in ("bot", "handlers", "storage", "playbooks", "sandbox"):
        assert (site / package / "py.typed").is_file()
    assert (site / "sandbox" / "static" / "index.html").is_file()
    assert (site / "sandbox" / "manifest.yml").read_text() == (ROOT / "manifest.yml").read_text()
    assert not (site / "tests").exists()


async def check_start(venv: Path, fake: FakeSlack, tmp_path: Path) -> None:
    """The image's CMD serves, and its HEALTHCHECK command passes; SIGTERM stops it cleanly."""
    port = free_port()
    env = bot_env(fake, f"sqlite:///{tmp_path / 'incidents.db'}", "default", port=port)
    env.pop("PYTHONPATH")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    (check,) = only("HEALTHCHECK")
    health = check.partition("CMD ")[2]
    command = json.loads(only("CMD")[0])
    with (tmp_path / "bot.log").open("wb") as log:
        bot = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    try:
        for _ in range(1500):
            assert bot.poll() is None, (tmp_path / "bot.log").read_text()[-2000:]
            probe = await asyncio.create_subprocess_shell(
                health,
                env={**env, "PORT": str(port)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if await probe.wait() == 0:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the health check never passed")
    finally:
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(20) == 0


@pytest.mark.early
async def test_the_images_install_and_start_commands_work_in_a_fresh_venv(fake, tmp_path):
    """One test, so that one worker installs once (~8 s, most of it pip unpacking and
    byte-compiling the dependencies)."""
    started = time.monotonic()
    venv = await asyncio.to_thread(install, tmp_path)
    print(f"pip install . into a fresh venv: {time.monotonic() - started:.1f} s")
    await asyncio.to_thread(check_commands, venv, tmp_path)
    await check_start(venv, fake, tmp_path)
    await check_sandbox(venv, tmp_path)


async def check_sandbox(venv: Path, tmp_path: Path) -> None:
    """The installed package runs the sandbox when no token is set: its page, its static
    files and its manifest (for the shortcuts) come from the package, not a checkout."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.pop("PYTHONPATH", None)
    env.update(PORT=str(port), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    home = tmp_path / "sandbox-home"
    home.mkdir()
    bot = subprocess.Popen(
        json.loads(only("CMD")[0]), cwd=home, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert bot.stdout is not None
        line = await asyncio.to_thread(bot.stdout.readline)
        url = f"http://127.0.0.1:{port}/sandbox/"
        assert line == f"Sandbox running: open {url} (Ctrl-C stops it)\n"
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as page:
                assert page.status == 200 and "<title>" in (await page.text()).lower()
            async with http.get(f"{url}ui/state", params={"user": "U_ALICE"}) as state:
                shortcuts = (await state.json())["shortcuts"]
        assert [s["callback_id"] for s in shortcuts] == ["add_to_timeline", "declare_from_message"]
    finally:
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(20) == 0
