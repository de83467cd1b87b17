"""Alerts in: POST /alerts/<format>, kept before 202, routed to incidents or questions."""

from __future__ import annotations

import json

from bot.blocks.alerts import PROPOSAL_BLOCK
from bot.blocks.ids import ActionId
from storage import repo
from storage.models import Alert, AlertProposal, Incident
from tests.harness import running_bot


def payment_alert(dedup: str, status: str = "firing", service: str = "payments") -> dict:
    """Seed 004: payment success rate < 95 % for 10 minutes is a P0."""
    return {
        "title": f"Payment success rate low ({service})",
        "dedup_key": dedup,
        "status": status,
        "metrics": {"payment_success_rate": 93.5},
        "for": "12m",
        "labels": {"service": service},
        "link": "https://grafana.example.com/d/payments",
    }


async def rows(bot, model):
    from sqlmodel import select

    async with bot.db.reader() as session:
        return list((await session.exec(select(model))).all())


async def settled(bot):
    await bot.fake.wait_for(lambda: not bot.intake.working)


async def test_a_p0_alert_declares_at_once_and_its_repeats_and_group_join_it(fake, tmp_path):
    async with running_bot(
        fake, tmp_path, playbook_pack="prod-100k", alert_commander="U_ALICE"
    ) as bot:
        status, answer = await bot.alert("generic", payment_alert("pay-1"))
        assert (status, answer["accepted"]) == (202, 1)
        await fake.wait_for(lambda: [c for c in fake.channels.values() if c.pins])
        [incident] = await rows(bot, Incident)
        assert (incident.severity, incident.commander_id) == ("p0", "U_ALICE")
        assert incident.title == "Payment success rate low (payments)"
        await bot.setup_finished(incident.channel_id)

        # The same alert again, and another of the same service: the same incident.
        await bot.alert("generic", payment_alert("pay-1"))
        await bot.alert("generic", {**payment_alert("pay-2"), "title": "Checkout errors"})
        await settled(bot)
        assert len(await rows(bot, Incident)) == 1
        async with bot.db.reader() as session:
            events = await repo.timeline(session=session, incident=incident.id)
        fired = [e for e in events if e.kind == "alert_fired"]
        assert [e.text for e in fired] == [
            "Payment success rate low (payments)",
            "Payment success rate low (payments)",
            "Checkout errors",
        ]
        assert {e.data["source"] for e in fired} == {"monitoring"}

        # Both resolve: noted, and the channel is told once that every alert has resolved.
        await bot.alert("generic", payment_alert("pay-1", status="resolved"))
        await bot.alert(
            "generic", {**payment_alert("pay-2", "resolved"), "title": "Checkout errors"}
        )
        await settled(bot)

        def resolved_lines():
            return [
                m.text for m in fake.messages(incident.channel_id) if "Alert resolved" in m.text
            ]

        await fake.wait_for(lambda: len(resolved_lines()) == 2)
        assert sum("Every alert of this incident has resolved" in t for t in resolved_lines()) == 1
        assert (await rows(bot, Incident))[0].status != "resolved"  # never on its own


async def test_an_alert_below_declare_asks_and_declare_takes_the_picked_severity(fake, tmp_path):
    async with running_bot(fake, tmp_path) as bot:
        incidents = fake.channel_by_name("incidents")
        first = {"title": "Search latency high", "severity": "sev3", "group": "search-latency"}
        await bot.alert("generic", {**first, "dedup_key": "s-1"})
        await bot.alert("generic", {**first, "dedup_key": "s-2"})
        await settled(bot)

        def questions():
            return [m for m in fake.messages(incidents.id) if "Declare incident?" in m.text]

        await fake.wait_for(questions)
        [question] = questions()
        [proposal] = await rows(bot, AlertProposal)
        assert (proposal.severity, proposal.alerts, proposal.state) == ("sev3", 2, "open")
        actions = next(b for b in question.blocks if b.get("block_id") == PROPOSAL_BLOCK)
        menu = actions["elements"][0]
        assert menu["initial_option"]["value"] == "sev3"
        assert len(await rows(bot, Incident)) == 0

        # Bob raises it to SEV-2 in the menu and presses Declare.
        click = {
            "action_id": ActionId.ALERT_DECLARE,
            "block_id": PROPOSAL_BLOCK,
            "value": proposal.id,
        }
        state = {
            "values": {
                PROPOSAL_BLOCK: {
                    ActionId.ALERT_SEVERITY: {
                        "type": "static_select",
                        "selected_option": {"value": "sev2"},
                    }
                }
            }
        }
        await bot.interact(_with_state(fake, bot, incidents.id, question.ts, click, state, "U_BOB"))
        await fake.wait_for(lambda: [c for c in fake.channels.values() if c.pins])
        [incident] = await rows(bot, Incident)
        assert (incident.severity, incident.commander_id) == ("sev2", "U_BOB")
        assert {a.incident_id for a in await rows(bot, Alert)} == {incident.id}
        [proposal] = await rows(bot, AlertProposal)
        assert (proposal.state, proposal.decided_by) == ("declared", "U_BOB")
        await fake.wait_for(lambda: "declared" in fake.find_message(incidents.id, question.ts).text)

        # A second answer changes nothing.
        await bot.interact(
            _with_state(fake, bot, incidents.id, question.ts, click, state, "U_CAROL")
        )
        await fake.wait_for(lambda: any("already answered" in e.text for e in fake.ephemerals))
        assert len(await rows(bot, Incident)) == 1


def _with_state(fake, bot, channel, ts, action, state, user):
    from sandbox.slack.payloads import block_actions_payload

    payload = block_actions_payload(
        fake, user_id=user, channel_id=channel, message_ts=ts, actions=[action]
    )
    return {**payload, "state": state}


async def test_dismiss_records_who_and_declares_nothing(fake, tmp_path):
    async with running_bot(fake, tmp_path) as bot:
        incidents = fake.channel_by_name("incidents")
        await bot.alert("generic", {"title": "Disk 80% full", "dedup_key": "d-1"})
        await fake.wait_for(
            lambda: [m for m in fake.messages(incidents.id) if "Declare incident?" in m.text]
        )
        [proposal] = await rows(bot, AlertProposal)
        assert proposal.severity == "sev4"  # no label, no rule: the least severe level
        [question] = [m for m in fake.messages(incidents.id) if "Declare incident?" in m.text]
        click = {
            "action_id": ActionId.ALERT_DISMISS,
            "block_id": PROPOSAL_BLOCK,
            "value": proposal.id,
        }
        await bot.click(user="U_CAROL", channel=incidents.id, ts=question.ts, actions=[click])
        await fake.wait_for(
            lambda: "dismissed" in fake.find_message(incidents.id, question.ts).text
        )
        [proposal] = await rows(bot, AlertProposal)
        assert (proposal.state, proposal.decided_by) == ("dismissed", "U_CAROL")
        assert await rows(bot, Incident) == []
        # The same alert again within the group's window: no second question.
        await bot.alert("generic", {"title": "Disk 80% full", "dedup_key": "d-1"})
        await settled(bot)
        [proposal] = await rows(bot, AlertProposal)
        assert proposal.alerts == 2
        assert len([m for m in fake.messages(incidents.id) if ":bell:" in m.text]) == 1


async def test_bad_credentials_and_bodies_are_refused_and_change_nothing(fake, tmp_path):
    async with running_bot(fake, tmp_path, alert_hmac_secret="hmac-secret-for-tests") as bot:
        good = {"title": "Disk full", "dedup_key": "x"}
        assert (await bot.alert("generic", good, token=None))[0] == 401
        assert (await bot.alert("generic", good, token="wrong-token-0123456789"))[0] == 401
        # The token is right but the signature is missing, then wrong.
        status, answer = await bot.alert("generic", good)
        assert (status, answer) == (401, {"error": "missing or wrong X-Alert-Signature"})
        status, _ = await bot.alert("generic", good, headers={"X-Alert-Signature": "sha256=00"})
        assert status == 401
        import hashlib
        import hmac

        def signature(body: bytes) -> dict[str, str]:
            digest = hmac.new(b"hmac-secret-for-tests", body, hashlib.sha256).hexdigest()
            return {"X-Alert-Signature": f"sha256={digest}"}

        bad_json = b"{not json"
        status, answer = await bot.alert("generic", None, raw=bad_json, headers=signature(bad_json))
        assert status == 400 and answer["error"].startswith("the body is not JSON")
        no_title = json.dumps({"dedup_key": "x"}).encode()
        status, answer = await bot.alert("generic", None, raw=no_title, headers=signature(no_title))
        assert status == 400 and "title" in answer["error"]
        assert (await bot.alert("nagios", good))[0] == 404
        huge = b"{" + b" " * (600 * 1024) + b"}"
        assert (await bot.alert("generic", None, raw=huge, headers=signature(huge)))[0] == 413
        assert await rows(bot, Alert) == [] and await rows(bot, AlertProposal) == []

        body = json.dumps(good).encode()
        status, answer = await bot.alert("generic", None, raw=body, headers=signature(body))
        assert (status, answer["accepted"]) == (202, 1)


async def test_an_alert_storm_of_100_from_5_services_raises_5_questions(fake, tmp_path):
    async with running_bot(fake, tmp_path, playbook_pack="prod-100k") as bot:
        services = ["payments", "search", "messaging", "profile", "auth"]
        for batch in range(10):
            alerts = [
                {
                    "title": f"{service} errors high",
                    "dedup_key": f"{service}-{batch}-{n}",
                    "severity": "p2",
                    "labels": {"service": service},
                }
                for n in range(2)
                for service in services
            ]
            status, answer = await bot.alert("generic", {"alerts": alerts})
            assert (status, answer["accepted"]) == (202, 10)
        await settled(bot)
        proposals = await rows(bot, AlertProposal)
        assert sorted(p.group_key for p in proposals) == sorted(f"service={s}" for s in services)
        assert sorted(p.alerts for p in proposals) == [20] * 5
        assert len(await rows(bot, Alert)) == 100
        assert await rows(bot, Incident) == []


async def test_alertmanager_and_grafana_bodies_take_their_severity_from_rules_and_labels(
    fake, tmp_path
):
    from pathlib import Path

    examples = Path(__file__).parents[1] / "alerts"
    async with running_bot(fake, tmp_path, playbook_pack="prod-100k") as bot:
        for fmt in ("alertmanager", "grafana"):
            body = json.loads((examples / f"{fmt}.json").read_text())
            status, answer = await bot.alert(fmt, body)
            assert status == 202, answer
        await settled(bot)
        recorded = {(a.format, a.status): a.severity for a in await rows(bot, Alert)}
        # Alertmanager: payment success 93.1 % for 10m (rule → P0), and a resolved one
        # labelled severity P1; Grafana: error rate 2.37 % for 5m (rule → P1).
        assert recorded == {
            ("alertmanager", "firing"): "p0",
            ("alertmanager", "resolved"): "p1",
            ("grafana", "firing"): "p1",
        }
        proposals = await rows(bot, AlertProposal)
        # Without ALERT_COMMANDER even the P0 asks; every question names its severity.
        assert sorted(p.severity for p in proposals) == ["p0", "p1"]


async def test_alerts_kept_by_a_process_that_died_are_routed_once_by_a_replay(fake, tmp_path):
    from datetime import timedelta

    from bot.clock import ManualClock
    from bot.domain.alert_formats import parse_generic
    from bot.server import BOLT, _take_over
    from bot.services.alerts import batch_payload

    clock = ManualClock()
    async with running_bot(fake, tmp_path, clock=clock) as bot:
        # Kept before the 202, then the process died before routing them.
        found = parse_generic({"alerts": [{"title": "Queue stuck", "dedup_key": "q-1"}]})
        payload = batch_payload("generic", "monitoring", found)
        assert await bot.intake.admit(key="alert:dead", kind="alert", payload=payload)
        bot.intake.forget("alert:dead")  # nobody here is working on it any more
        clock.advance(timedelta(seconds=11).total_seconds())  # its lease has run out
        take_over = _take_over(bot.deps, bot.app[BOLT])
        await take_over()
        await take_over()  # nothing left: a second pass routes nothing twice
        [proposal] = await rows(bot, AlertProposal)
        assert (proposal.title, proposal.alerts) == ("Queue stuck", 1)
        assert len(await rows(bot, Alert)) == 1


async def test_a_channel_setup_stuck_on_slack_does_not_hold_up_other_groups(fake, tmp_path):
    async with running_bot(
        fake, tmp_path, playbook_pack="prod-100k", alert_commander="U_ALICE"
    ) as bot:
        fake.hang_seconds = 30
        fake.fault_next("conversations.create", "hang")  # the first setup waits on Slack
        await bot.alert("generic", payment_alert("pay-1", service="payments"))
        await fake.wait_for(lambda: len(fake.calls_to("conversations.create")) == 1)
        # Another service's P0 meanwhile: declared, and its channel set up, at once.
        await bot.alert("generic", payment_alert("chk-1", service="checkout"))
        await fake.wait_for(lambda: [c for c in fake.channels.values() if c.pins])
        incidents = {i.title: i for i in await rows(bot, Incident)}
        assert set(incidents) == {
            "Payment success rate low (payments)",
            "Payment success rate low (checkout)",
        }
        assert incidents["Payment success rate low (payments)"].channel_id is None
        assert incidents["Payment success rate low (checkout)"].channel_id is not None
