"""Every seed pack end to end: suggestion, steps, wording check, resolve, incident log."""

import asyncio
import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.blocks.ids import ActionId, step_block_id
from playbooks.loader import load_pack
from storage import repo
from tests.harness import running_bot

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    ("default", "sev1", "Bad deploy broke checkout", "deploy-rollback", "It was a bug"),
    ("quickmela", "sev1", "Refunds executed twice", "refund-incorrect", "An ERROR delayed refunds"),
    (
        "escrow-pilot",
        "sev0",
        "Duplicate ledger entries on deal 42",
        "duplicate-ledger-entries",
        "Sorry, this was our fault",
    ),
    (
        "defcon",
        "defcon1",
        "Security breach suspected on admin panel",
        "security-breach",
        "We were hacked",
    ),
    (
        "eshop",
        "sev1",
        "Checkout errors for all customers",
        "production-incident",
        "Checkout crashed",
    ),
    ("prod-100k", "p0", "Stripe payment system down", "payment-down", "A bug stopped payments"),
]


def blocks_text(message):
    return json.dumps(message.blocks, ensure_ascii=False)


async def events_of(bot, channel):
    async with bot.db.session() as session:
        incident = await repo.get_by_channel(session=session, channel_id=channel.id)
        return incident, list(await repo.timeline(session=session, incident=incident.id))


def phase_messages(fake, channel):
    return [m for m in fake.messages(channel.id) if ":clipboard:" in blocks_text(m)]


def export(incident_id: str) -> tuple[int, str, str]:
    """`python -m bot export INC-ID`, run in this process (its own event loop, in a thread):
    exit code, stdout and stderr. The real process is run once, below, for the error path."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["export", incident_id])
    return code, out.getvalue(), err.getvalue()


async def _held_back_then_posted_anyway(bot, channel, pack, bad_words):
    """Customer wording: held back with the phrases quoted and the template shown."""
    fake = bot.fake
    status, _, url = await bot.command(f"update --customer {bad_words}", channel=channel.id)
    assert status == 200
    warning = (await bot.replies(url))[0]
    rendered = json.dumps(warning["blocks"], ensure_ascii=False)
    assert "“" in rendered and "Post anyway" in rendered
    assert pack.comms.template.split()[0] in rendered
    assert not any("Customer update" in m.text for m in fake.messages(channel.id))
    draft_id = next(
        e["value"]
        for b in warning["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ActionId.POST_ANYWAY
    )
    await bot.click(
        user="U_ALICE",
        channel=channel.id,
        ts="1.000001",
        actions=[{"action_id": ActionId.POST_ANYWAY, "value": draft_id, "block_id": "w"}],
    )
    await fake.wait_for(lambda: any("Customer update" in m.text for m in fake.messages(channel.id)))


@pytest.mark.parametrize(("pack_id", "severity", "title", "playbook_id", "bad_words"), CASES)
async def test_pack_end_to_end(
    fake, tmp_path, monkeypatch, pack_id, severity, title, playbook_id, bad_words
):
    pack = load_pack(pack_id)
    playbook = pack.playbook(playbook_id)
    async with running_bot(fake, tmp_path, playbook_pack=pack_id) as bot:
        channel = await bot.declare(f"{severity} {title}")
        # The suggestion names the matching scenario; clicking it posts one message per phase.
        await fake.wait_for(
            lambda: any(
                f'"value": "{playbook_id}"' in blocks_text(m) for m in fake.messages(channel.id)
            )
        )
        suggestion = next(
            m for m in fake.messages(channel.id) if f'"value": "{playbook_id}"' in blocks_text(m)
        )
        await bot.click(
            user="U_ALICE",
            channel=channel.id,
            ts=suggestion.ts,
            actions=[
                {"action_id": ActionId.ATTACH_PLAYBOOK, "value": playbook_id, "block_id": "suggest"}
            ],
        )
        await fake.wait_for(lambda: len(phase_messages(fake, channel)) == len(playbook.phases))
        first = phase_messages(fake, channel)[0]
        assert playbook.phases[0].steps[0].text[:40] in blocks_text(first)

        # Two racing clicks on Done record one completion, and the message says who did it.
        done = {
            "action_id": ActionId.STEP_DONE,
            "block_id": step_block_id(playbook_id, 0, 0),
            "value": f"{playbook_id}|0|0",
        }
        await asyncio.gather(
            bot.click(user="U_BOB", channel=channel.id, ts=first.ts, actions=[done]),
            bot.click(user="U_CAROL", channel=channel.id, ts=first.ts, actions=[done]),
        )
        await fake.wait_for(lambda: not bot.intake.working)  # both clicks are handled
        _, events = await events_of(bot, channel)
        completions = [e for e in events if e.kind == "step_completed"]
        assert len(completions) == 1
        assert f"done by <@{completions[0].actor}>" in blocks_text(
            fake.find_message(channel.id, first.ts)
        )

        if pack.comms.avoid:
            await _held_back_then_posted_anyway(bot, channel, pack, bad_words)
        else:
            # The source names no words to avoid (Defcon even asks to disclose): the
            # customer update goes out as written.
            await bot.command(f"update --customer {bad_words}", channel=channel.id)
            await fake.wait_for(lambda: any(bad_words in m.text for m in fake.messages(channel.id)))

        await bot.command(
            "resolve Rolled back | root cause: retry storm | prevent: add guard", channel=channel.id
        )
        await fake.wait_for(lambda: "Resolved" in channel.topic)
        incident, events = await events_of(bot, channel)
        kinds = [e.kind for e in events]
        assert kinds.count("customer_update_posted") == 1 and "update_posted" not in kinds
        await bot.command("log", channel=channel.id)
        await fake.wait_for(
            lambda: any("Incident log" in m.text for m in fake.messages(channel.id))
        )
        log_message = next(m.text for m in fake.messages(channel.id) if "Incident log" in m.text)
        for label in pack.incident_log:
            assert label in log_message, label

    monkeypatch.chdir(tmp_path)  # no .env of the repository
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("PLAYBOOK_PACK", pack_id)
    code, stdout, stderr = await asyncio.to_thread(export, incident.id)
    assert code == 0, stderr
    assert incident.id in stdout and "retry storm" in stdout
    for label in pack.incident_log:
        assert label in stdout


def test_export_of_an_unknown_incident_is_one_line_and_exit_2(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "export", "INC-2020-01-01-001"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "INC-2020-01-01-001" in result.stderr


async def test_each_priority_tells_the_channels_its_pack_names(fake, tmp_path):
    # prod-100k: P1 goes to #alerts, P0 to #critical-alerts, on declaration and on a change.
    alerts, critical = fake.add_channel("alerts"), fake.add_channel("critical-alerts")
    async with running_bot(fake, tmp_path, playbook_pack="prod-100k") as bot:
        channel = await bot.declare("p1 Error rate above 1%")

        def told(where):
            return [m for m in fake.messages(where.id) if "Error rate above 1%" in m.text]

        await fake.wait_for(lambda: told(alerts))
        [notice] = told(alerts)
        assert "*P1* · " in notice.text and f"<#{channel.id}>" in notice.text
        assert "commander <@U_ALICE>" in notice.text
        assert told(critical) == []
        await bot.command("severity p0", channel=channel.id)
        await fake.wait_for(lambda: told(critical))
        assert "*P0* · " in told(critical)[0].text
        assert len(told(alerts)) == 1 and len(told(critical)) == 1
        # The incidents channel is announced to as before.
        incidents = fake.channel_by_name("incidents")
        assert any(channel.id in json.dumps(m.blocks) for m in fake.messages(incidents.id))


async def declared_unannounced(bot, text):
    """Declare at a level with no announcement; the channel, once its setup is finished."""
    fake, before = bot.fake, set(bot.fake.channels)
    status, _, _ = await bot.command(f"declare {text}")
    assert status == 200
    await fake.wait_for(
        lambda: any(c.pins for cid, c in fake.channels.items() if cid not in before)
    )
    channel = next(c for cid, c in fake.channels.items() if cid not in before)
    await bot.setup_finished(channel.id)
    return channel


async def test_a_level_that_needs_no_announcement_makes_none(fake, tmp_path):
    # QuickMela SEV-4: "No announcement needed".
    async with running_bot(fake, tmp_path, playbook_pack="quickmela") as bot:
        channel = await declared_unannounced(bot, "sev4 Tooltip missing on the bid button")
        incidents = fake.channel_by_name("incidents")
        assert not [
            m for m in fake.messages(incidents.id) if channel.id in m.text + json.dumps(m.blocks)
        ]


async def test_raised_to_a_level_that_is_announced_the_incident_is_announced_once(fake, tmp_path):
    async with running_bot(fake, tmp_path, playbook_pack="quickmela") as bot:
        channel = await declared_unannounced(bot, "sev4 Tooltip missing on the bid button")
        incidents = fake.channel_by_name("incidents")

        def announced():
            return [m for m in fake.messages(incidents.id) if channel.id in json.dumps(m.blocks)]

        assert announced() == []
        await bot.command("severity sev1", channel=channel.id)
        await fake.wait_for(announced)
        await bot.setup_finished(channel.id)
        await bot.command("severity sev2", channel=channel.id)
        await bot.card_shows(channel, "SEV-2")
        assert len(announced()) == 1
        await fake.wait_for(lambda: "SEV-2" in json.dumps(announced()[0].blocks))


async def test_a_playbook_named_without_a_severity_declares_at_its_severity(fake, tmp_path):
    async with running_bot(fake, tmp_path, playbook_pack="prod-100k") as bot:
        channel = await bot.declare("--playbook payment-down Stripe payments failing")
        await bot.card_shows(channel, "P0: Stripe payments failing")
        incident, _ = await events_of(bot, channel)
        assert (incident.severity, incident.playbook_plan) == ("p0", "attach:payment-down")
