"""Starting the bot: a bad or missing setting is one line and exit code 2."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def run_bot(env_overrides, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORT": "http"}, "PORT"),  # no token: the sandbox checks the other settings
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "http"}, "PORT"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-wrong"}, "SLACK_APP_TOKEN"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "LOG_LEVEL": "loud"},
            "LOG_LEVEL",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "LOG_FORMAT": "xml"},
            "LOG_FORMAT",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "DATABASE_URL": "mysql://x"},
            "DATABASE_URL",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PACK_TIME_SCALE": "0"},
            "PACK_TIME_SCALE",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "HOLIDAY_COUNTRY": "XX"},
            "HOLIDAY_COUNTRY",
        ),
        (
            {
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_SIGNING_SECRET": "s",
                "CHECKLIST_TIMES": "x=25:00",
            },
            "CHECKLIST_TIMES",
        ),
    ],
)
def test_bad_settings_exit_2_with_one_line(env, variable, tmp_path):
    env = {"PYTHONPATH": str(ROOT), **env}
    result = run_bot(env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_secrets_never_appear_in_the_error(tmp_path):
    env = {
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-supersecret",
        "PORT": "-5",
        "SLACK_SIGNING_SECRET": "topsecret",
    }
    result = run_bot(env, tmp_path)
    assert result.returncode == 2
    assert "supersecret" not in result.stderr and "topsecret" not in result.stderr


def test_invalid_pack_refuses_to_start(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("id: bad\ntitle: Bad\nseverities: []\nsurprise: 1\n")
    env = {
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "PLAYBOOK_PACK": str(bad),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    result = run_bot(env, tmp_path)
    assert result.returncode == 2
    assert "bad.yml" in result.stderr and "surprise" in result.stderr
    assert "Traceback" not in result.stderr


def test_playbooks_validate_command(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("id: bad\ntitle: Bad\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    good_pack = ROOT / "playbooks" / "packs" / "quickmela.yml"
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "playbooks", "validate", str(good_pack)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0 and "quickmela" in ok.stdout
    failed = subprocess.run(
        [sys.executable, "-m", "bot", "playbooks", "validate", str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode == 2 and "bad.yml" in failed.stderr


def test_version_is_the_projects(capsys):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"incident-bot {version}\n"
