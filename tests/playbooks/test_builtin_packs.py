"""The built-in packs load and encode their source documents' facts."""

from pathlib import Path

import pytest

from playbooks.durations import Duration, parse_duration
from playbooks.loader import PACKS_DIR, builtin_pack_ids, load_pack
from playbooks.model import Pack
from playbooks.wording import find_avoided_phrases

EXPECTED_IDS = ["default", "defcon", "escrow-pilot", "eshop", "prod-100k", "quickmela"]


def d(text: str) -> Duration:
    return parse_duration(text)


@pytest.fixture(scope="module", params=EXPECTED_IDS)
def any_pack(request: pytest.FixtureRequest) -> Pack:
    return load_pack(request.param)


def test_builtin_ids() -> None:
    assert builtin_pack_ids() == EXPECTED_IDS


@pytest.mark.parametrize("pack_id", EXPECTED_IDS)
def test_each_builtin_loads_by_id_and_by_path(pack_id: str) -> None:
    by_id = load_pack(pack_id)
    assert by_id.id == pack_id
    assert load_pack(PACKS_DIR / f"{pack_id}.yml") == by_id


@pytest.mark.parametrize("pack_id", EXPECTED_IDS)
def test_files_are_clean_utf8_with_a_schema_hint(pack_id: str) -> None:
    text = (PACKS_DIR / f"{pack_id}.yml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema.json\n")
    for mojibake in ("\u00e2\u20ac", "\u201a\u00c4", "\u00f0\u0178", "\u00c3", "\ufffd"):
        assert mojibake not in text


# Levels the seeds leave to normal work get no update reminders: QuickMela SEV-4 ("no
# announcement needed"), escrow SEV2/SEV3 ("wait for the normal process"), Defcon 3 ("the
# next scheduled hotfix"), prod P3 ("normal business hours response").
DEFERRED = {
    ("quickmela", "sev4"),
    ("escrow-pilot", "sev2"),
    ("escrow-pilot", "sev3"),
    ("defcon", "defcon3"),
    ("prod-100k", "p3"),
}


def test_every_pack_has_a_single_commander_and_an_internal_cadence(any_pack: Pack) -> None:
    assert any_pack.commander.single
    for severity in any_pack.severities:
        if (any_pack.id, severity.id) in DEFERRED:
            assert severity.updates.internal is None
            continue
        assert severity.updates.internal == d("30m")
    assert all(playbook.match for playbook in any_pack.playbooks)


def test_every_message_step_has_a_known_audience(any_pack: Pack) -> None:
    for playbook in any_pack.playbooks:
        for step in playbook.steps:
            if step.kind == "message":
                assert step.audience and any_pack.comms.audience(step.audience)
                assert not find_avoided_phrases(step.text, any_pack.comms.avoid)


# --- default -------------------------------------------------------------------------------


def test_default_pack() -> None:
    pack = load_pack("default")
    assert pack.severity_ids == ["sev1", "sev2", "sev3", "sev4"]
    assert [s.name for s in pack.severities] == ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
    assert [s.updates.customer for s in pack.severities] == [d("60m"), d("60m"), None, None]
    assert pack.role_ids == ["commander", "scribe", "comms_lead", "tech_lead"]
    assert all(role.single and role.instructions for role in pack.roles)
    assert pack.comms.owner_role == "comms_lead"
    assert "our fault" in pack.comms.avoid
    assert pack.playbook_ids == ["generic", "deploy-rollback"]
    assert pack.retrospective is not None and pack.retrospective.within == d("3 business days")
    assert pack.role("Communications Lead") == pack.role("comms-lead") == pack.roles[2]
    assert pack.suggest_playbook("Bad deploy broke checkout").id == "deploy-rollback"  # type: ignore[union-attr]
    assert pack.suggest_playbook("Checkout outage in EU").id == "generic"  # type: ignore[union-attr]


# --- 000 QuickMela -------------------------------------------------------------------------


def test_quickmela() -> None:
    pack = load_pack("quickmela")
    assert pack.severity_ids == ["sev1", "sev2", "sev3", "sev4"]
    assert pack.severity("sev1").examples == ("Double refunds", "Wrong auction winner")  # type: ignore[union-attr]
    assert len(pack.roles) == 5
    assert pack.role("IC") == pack.commander
    assert pack.role("scribe").name == "Observer / Scribe"  # type: ignore[union-attr]
    assert pack.comms.avoid == ("Bug", "Error", "Our fault", "System crashed")
    assert pack.comms.owner_role == "support_lead"
    assert pack.rules[0] == "Money > UX > Speed"
    assert len(pack.playbooks) == 7

    winner = pack.playbook("auction-winner")
    assert winner is not None and winner.severity == "sev1"
    assert winner.phases[0].within == d("2m")
    assert len(winner.steps) == 13
    assert winner.flags == ("ENABLE_LIVE_WEBCAST", "ENABLE_AUTO_BIDDING")
    messages = {(s.audience, s.text) for s in winner.steps if s.kind == "message"}
    assert messages == {
        ("buyer", "Auction under review. Your funds are safe."),
        ("seller", "Settlement paused pending verification."),
    }

    refund = pack.playbook("refund-incorrect")
    assert refund is not None and refund.flags == ("ENABLE_AUTO_REFUNDS",)
    assert [s.text for s in refund.steps if s.kind == "message"] == [
        "Refund delayed due to system verification.",
        "Settlement temporarily paused.",
    ]
    assert pack.comms.template.startswith("We\u2019re reviewing a system issue.")
    assert pack.incident_log[:3] == ("Incident ID", "Start Time", "Detected By")
    assert len(pack.incident_log) == 9

    (checklist,) = pack.checklists
    assert str(checklist.schedule).startswith("daily ")
    assert len(checklist.items) == 5 and "Refund toggle ON" in checklist.items


@pytest.mark.parametrize(
    ("title", "playbook_id"),
    [
        ("Refunds executed twice", "refund-incorrect"),
        ("Double refund on order 8812", "refund-incorrect"),
        ("Wrong winner on lot 42", "auction-winner"),
        ("Live auction lagging in Mumbai", "live-auction-lag"),
        ("Spike in AI fraud false positives", "ai-fraud-false-positives"),
        ("AI recommendations down", "ai-recommendations-down"),
        ("Sales dashboard metrics wrong", "sales-dashboard-metrics"),
        ("Tooltip missing on bid button", "ui-glitch"),
    ],
)
def test_quickmela_suggestions(title: str, playbook_id: str) -> None:
    assert load_pack("quickmela").suggest_playbook(title).id == playbook_id  # type: ignore[union-attr]


# --- 001 escrow pilot ----------------------------------------------------------------------


def test_escrow_pilot() -> None:
    pack = load_pack("escrow-pilot")
    assert pack.severity_ids == ["sev0", "sev1", "sev2", "sev3"]
    assert pack.severity("SEV0").respond_within == d("15m")  # type: ignore[union-attr]
    assert pack.severity("high").respond_within == d("1h")  # type: ignore[union-attr]
    assert pack.severity("sev2").respond_within == d("4 business hours")  # type: ignore[union-attr]
    assert pack.severity("sev3").respond_within == d("1 business day")  # type: ignore[union-attr]
    assert [s.escalate_after for s in pack.severities] == [None] * 4  # levels' criteria instead
    # No cadence in the source: the house default.
    assert [s.updates.customer for s in pack.severities] == [d("60m"), d("60m"), None, None]
    assert [level.level for level in pack.escalation] == [1, 2, 3, 4]
    # The source's "escalate out of level N" criteria are the criteria that reach level N+1.
    assert pack.escalation[0].criteria == ()
    assert [(c.severities, c.after) for c in pack.escalation[1].criteria] == [
        (("sev0", "sev1"), None),
        (("sev0",), d("15m")),
        (("sev1",), d("1h")),
    ]
    assert pack.escalation[2].criteria[0].severities == ("sev0",)  # notify immediately
    assert [c.condition for c in pack.escalation[2].criteria[1:]] == [
        "The fix needs core code changes (not allowed in the pilot)",
        "The system has been unavailable for more than an hour",
        "Data integrity is in doubt",
    ]
    assert len(pack.escalation[3].criteria) == 6
    assert pack.escalation[3].name == "Decision Owner"
    assert pack.commander.name == "Operator"
    assert pack.comms.avoid == ()  # the source lists no words to avoid
    assert len(pack.playbooks) == 9
    sev0 = pack.playbook("sev0-funds-ledger")
    assert sev0 is not None and len(sev0.phases) == 5 and len(sev0.steps) == 14
    assert sev0.flags == ("pilot.enabled",)
    duplicate = pack.playbook("duplicate-ledger-entries")
    assert duplicate is not None and len(duplicate.phases[0].steps) == 6
    assert pack.incident_log[0] == "Incident Number"
    assert len(pack.incident_log) == 13


@pytest.mark.parametrize(
    ("title", "playbook_id"),
    [
        ("Duplicate ledger entries for deal 1234", "duplicate-ledger-entries"),
        ("Timer not visible on deals in INSPECTION", "timer-not-visible"),
        ("Admin cannot resolve dispute", "admin-cannot-resolve-dispute"),
        ("Deal stuck in ISSUE for 9 days", "deal-stuck"),
        ("Funds released twice", "sev0-funds-ledger"),
        ("Translation issues on deal page", "sev2-sev3-defer"),
    ],
)
def test_escrow_suggestions(title: str, playbook_id: str) -> None:
    assert load_pack("escrow-pilot").suggest_playbook(title).id == playbook_id  # type: ignore[union-attr]


# --- 002 Defcon ----------------------------------------------------------------------------


def test_defcon() -> None:
    pack = load_pack("defcon")
    assert pack.severity_ids == ["defcon1", "defcon2", "defcon3"]
    assert pack.severity("Defcon 1") == pack.severity("1") == pack.severities[0]
    assert [s.decision_maker for s in pack.severities] == [
        "CTO / Lead Dev",
        "Senior Dev",
        "Product Owner",
    ]
    assert pack.playbook_ids[3:] == ["bad-deploy", "security-breach", "api-down"]
    bad_deploy = pack.playbook("bad-deploy")
    assert bad_deploy is not None and len(bad_deploy.steps) == 4
    defcon1 = pack.playbook("defcon1-critical-down")
    assert defcon1 is not None and defcon1.flags == ("maintenance.mode",)
    assert len(pack.rules) == 4 and pack.rules[0].startswith("Do NOT debug on production")
    assert [s.updates.customer for s in pack.severities] == [d("60m"), d("60m"), None]


@pytest.mark.parametrize(
    ("title", "playbook_id"),
    [
        ("Bad deploy broke the login page", "bad-deploy"),
        ("API keys leaked on GitHub", "security-breach"),
        ("API slow, requests timing out", "api-down"),
        ("Checkout down for all users", "defcon1-critical-down"),
        ("Search is slow", "defcon2-degraded"),
        ("Typo on pricing page", "defcon3-minor"),
    ],
)
def test_defcon_suggestions(title: str, playbook_id: str) -> None:
    assert load_pack("defcon").suggest_playbook(title).id == playbook_id  # type: ignore[union-attr]


# --- 003 E-Shop ----------------------------------------------------------------------------


def test_eshop() -> None:
    pack = load_pack("eshop")
    assert pack.severity_ids == ["sev1", "sev2", "sev3"]
    assert [s.updates.internal for s in pack.severities] == [d("30m")] * 3
    assert [s.updates.customer for s in pack.severities] == [d("60m"), d("60m"), None]
    assert pack.role_ids == ["commander", "tech_lead", "comms_lead"]
    assert pack.comms.owner_role == "comms_lead"
    assert pack.retrospective is not None and pack.retrospective.within == d("3 business days")
    (playbook,) = pack.playbooks
    assert [phase.name for phase in playbook.phases] == [
        "Acknowledge",
        "Assign roles",
        "Stabilize",
        "Diagnose",
        "Communicate",
        "Resolution",
        "Post-incident review",
    ]
    assert len(playbook.steps) == 16
    (after_action,) = pack.checklists
    assert str(after_action.schedule) == "on_resolve" and len(after_action.items) == 4
    assert pack.suggest_playbook("Stripe webhook queue stalled") == playbook
    assert pack.suggest_playbook("Duplicate refunds issued") == playbook


# --- 004 100K-user production --------------------------------------------------------------


def test_prod_100k() -> None:
    pack = load_pack("prod-100k")
    assert pack.severity_ids == ["p0", "p1", "p2", "p3"]
    assert pack.severity("Priority 0") == pack.severities[0]
    targets = [(s.respond_within, s.resolve_within) for s in pack.severities]
    assert targets == [
        (d("5m"), d("1h")),
        (d("15m"), d("4h")),
        (d("1h"), d("24h")),
        (d("4 business hours"), d("72h")),  # "normal business hours response"
    ]
    assert [s.escalate_after for s in pack.severities] == [None] * 4  # levels' criteria instead
    assert "Slack #critical-alerts (immediate)" in pack.severities[0].notify
    assert [(c.severities, c.after) for c in pack.escalation[1].criteria] == [
        (("p0",), d("30m")),
        (("p1",), d("2h")),
    ]
    assert [c.missed for c in pack.escalation[0].criteria] == [None, "respond_within"]
    assert [c.missed for c in pack.escalation[2].criteria] == ["resolve_within", None]
    assert pack.incident_id_format == "INC-{YYYY}-{MM}-{DD}-{NNN}"
    assert pack.incident_log[0] == "Incident ID" and len(pack.incident_log) == 13

    payment = pack.playbook("payment-down")
    assert payment is not None and payment.severity == "p0"
    assert [p.within for p in payment.phases] == [
        d("5m"),
        d("10m"),
        d("15m"),
        d("30m"),
        d("1h"),
        None,
    ]
    assert len(payment.steps) == 10
    failure = pack.playbook("complete-system-failure")
    assert failure is not None
    assert [p.within for p in failure.phases] == [d("10m"), d("30m"), d("90m"), None]

    recovery = [c for c in pack.checklists if c.id.startswith("recovery-")]
    assert [len(c.items) for c in recovery] == [10, 8, 8]
    assert [str(c.schedule) for c in pack.checklists] == ["on_monitoring"] * 3 + ["on_resolve"]
    assert pack.retrospective is not None and pack.retrospective.within == d("2d")


@pytest.mark.parametrize(
    ("title", "playbook_id"),
    [
        ("Stripe payments failing at checkout", "payment-down"),
        ("Payments delayed over 30 seconds", "payment-delays"),
        ("Chat messages not delivered", "messaging-down"),
        ("Users cannot open their profile", "profile-down"),
        ("DB connection pool exhausted", "database-connections"),
        ("Complete outage of all services", "complete-system-failure"),
        ("Data corruption in orders table", "data-loss-prevention"),
        ("Customer data breach suspected", "data-breach"),
        ("Authentication tokens compromised", "auth-compromise"),
        ("DDoS attack on the API", "ddos"),
    ],
)
def test_prod_100k_suggestions(title: str, playbook_id: str) -> None:
    assert load_pack("prod-100k").suggest_playbook(title).id == playbook_id  # type: ignore[union-attr]


def test_packs_dir_holds_only_the_builtins() -> None:
    assert sorted(p.name for p in Path(PACKS_DIR).iterdir()) == [f"{i}.yml" for i in EXPECTED_IDS]


def test_only_the_packs_whose_source_lists_words_to_avoid_hold_customer_updates_back():
    # Seed 000 (QuickMela) is the only source with an avoid list; the default pack is ours.
    with_lists = {p: load_pack(p).comms.avoid != () for p in builtin_pack_ids()}
    assert with_lists == {
        "default": True,
        "quickmela": True,
        "escrow-pilot": False,
        "defcon": False,
        "eshop": False,
        "prod-100k": False,
    }


def test_quickmela_product_ui_texts_are_checks_not_messages_to_send():
    # Seed 000: "Buyer sees: Live webcast unavailable", "Show: Suggestions temporarily
    # unavailable" are what the product displays once a flag is off, not customer messages.
    pack = load_pack("quickmela")
    steps = [s for p in pack.playbooks for s in p.steps if "unavailable" in s.text]
    assert [(s.kind, s.audience) for s in steps] == [("check", None), ("check", None)]
