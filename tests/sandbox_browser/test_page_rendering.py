"""The page drawn from a state the test writes (tests/sandbox_browser/samples.py): Slack text
shown safely, every Block Kit element drawn and sending what Slack would send, modals,
ephemerals, the message menu, the time control, the channel list and the user switcher."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox_browser import samples
from tests.sandbox_browser.samples import CARD_TS, HOSTILE_TS, INCIDENT, KIT_TS, plain
from tests.sandbox_browser.stub import StubSandbox

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect


@pytest.fixture
def stub(page: Any) -> Iterator[StubSandbox]:
    """The page open on the sample incident channel, as Alice."""
    sandbox = StubSandbox(page, samples.sample_state())
    sandbox.open(f"?user=U_ALICE&channel={INCIDENT}")
    yield sandbox


def message(page: Any, ts: str) -> Any:
    return page.locator(f'[data-testid="message"][data-ts="{ts}"]')


MRKDWN_CASES = [
    ("*bold* _it_ ~st~", "<b>bold</b> <i>it</i> <s>st</s>"),
    ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
    ("`&lt;b&gt;x&lt;/b&gt;` *after*", "<code>&#60;b&#62;x&#60;/b&#62;</code> <b>after</b>"),
    ("```line1\n*not bold*```", "<pre>line1\n*not bold*</pre>"),
    ("&gt; quoted\nnot", '<span class="quote">quoted</span>\nnot'),
    (
        "<@U_BOB> <@U_X|xname>",
        '<span class="mention">@bob</span> <span class="mention">@xname</span>',
    ),
    (
        "<#C0001> <#C9|other>",
        '<a href="#" class="channel-link" data-channel="C0001">#general</a> '
        '<a href="#" class="channel-link" data-channel="C9">#other</a>',
    ),
    ("<!date^1796529473^{date_short_pretty}|2026-12-06 03:57 UTC>", "2026-12-06 03:57 UTC"),
    (
        "<!channel> <!subteam^S1|@oncall>",
        '<span class="mention">@channel</span> <span class="mention">@oncall</span>',
    ),
    (
        "<https://a.example/x?y=1&amp;z=2>",
        '<a href="https://a.example/x?y=1&#38;z=2" target="_blank" rel="noopener noreferrer">'
        "https://a.example/x?y=1&#38;z=2</a>",
    ),
    ("<javascript:alert(1)|x> <data:text/html,hi>", "x data:text/html,hi"),
    ('" onmouseover="x\' &amp;amp;', "&#34; onmouseover=&#34;x&#39; &#38;amp;"),
    (":tada: :unknown_emoji: 10:00:00", "🎉 :unknown_emoji: 10:00:00"),
    ("\ue0000\ue001 *x*", "0 <b>x</b>"),
]


def test_slack_mrkdwn_becomes_safe_html(stub: StubSandbox, page: Any) -> None:
    rendered = page.evaluate(
        """async (cases) => {
            const { mrkdwn } = await import("./static/mrkdwn.js");
            const names = { U_BOB: "bob", C0001: "general" };
            const name = (id) => names[id] ?? null;
            const ctx = { userName: name, channelName: name };
            return cases.map((text) => mrkdwn(text, ctx));
        }""",
        [text for text, _ in MRKDWN_CASES],
    )
    assert rendered == [html for _, html in MRKDWN_CASES]


def test_hostile_text_is_shown_as_text_and_never_runs(stub: StubSandbox, page: Any) -> None:
    text = message(page, HOSTILE_TS).locator(".text")
    expect(text).to_have_text(
        'img src=x onerror="window.hacked=1" <script>window.hacked=2</script> click me '
        "a <b> link @here @U_NOBODY 1 < 2 & 3 > 2"
    )
    assert text.locator("img, script, b").count() == 0
    [link] = text.locator("a").all()
    assert (link.inner_text(), link.get_attribute("href")) == (
        "a <b> link",
        "https://example.com/?a=1&b=2",
    )
    assert page.evaluate("window.hacked") is None


def test_the_card_is_drawn_from_its_blocks(stub: StubSandbox, page: Any) -> None:
    card = message(page, CARD_TS)
    expect(card.locator(".block-header")).to_have_text("SEV-2: Checkout is down")
    expect(card.locator(".field")).to_have_text(["ID\nINC-2026-12-06-001", "Commander\n@alice"])
    expect(card.locator(".block-context")).to_have_text("Declared by @alice · /incident help")
    expect(card.get_by_test_id("author")).to_have_text("Incident Bot")
    expect(card.get_by_test_id("edited")).to_have_text("(edited)")
    expect(card.get_by_test_id("pinned-mark")).to_have_text("📌 Pinned")
    expect(card.get_by_role("button", name="Resolve")).to_have_class("btn primary")
    expect(card.get_by_role("combobox")).to_have_value("")
    severities = card.get_by_role("combobox").locator("option")
    expect(severities).to_have_text(["Change severity", "SEV-1", "SEV-2", "SEV-3"])


def test_every_layout_block_is_drawn(stub: StubSandbox, page: Any) -> None:
    kit = message(page, KIT_TS)
    section = kit.locator('[data-block-id="with_button"]')
    expect(section.locator(".mrkdwn")).to_have_text("🚨 Bold italic struck code #general")
    for tag, text in (("b", "Bold"), ("i", "italic"), ("s", "struck"), ("code", "code")):
        expect(section.locator(tag)).to_have_text(text)
    expect(section.get_by_role("button", name="Stop")).to_have_class("btn danger")
    expect(kit.locator("hr")).to_have_count(1)
    expect(kit.locator(".block-image")).to_have_text("🖼 Error rate")
    expect(kit.locator(".rich-section")).to_have_text("Rich @bob")
    expect(kit.locator(".rich-text li")).to_have_text(["one", "two"])
    pickers = kit.locator('[data-block-id="pickers"]')
    expect(pickers.locator('[data-action-id="due"]')).to_have_value("2026-12-07")
    expect(pickers.get_by_label("Logs saved")).not_to_be_checked()
    expect(pickers.locator('[data-action-id="assign"] option')).to_have_text(
        ["Assign to…", "Alice", "Bob", "Carol", "Dave"]
    )


def test_thread_replies_sit_under_their_parent_with_reactions_shown(
    stub: StubSandbox, page: Any
) -> None:
    thread = message(page, samples.THREAD_TS).get_by_test_id("thread")
    expect(thread.get_by_test_id("message")).to_have_count(1)
    expect(thread.locator(".text")).to_have_text("A reply in the thread")
    expect(page.locator('.messages > [data-testid="message"]')).to_have_count(4)
    reaction = message(page, HOSTILE_TS).get_by_test_id("reaction")
    expect(reaction).to_have_text("📌 2")
    expect(reaction).to_have_attribute("title", "alice, bob")


def clicked(stub: StubSandbox, do: Any) -> Any:
    """What the page POSTs to ui/action when `do()` runs."""
    with stub.posting("action") as request:
        do()
    return request.value.post_data_json


def test_elements_send_the_actions_slack_would(stub: StubSandbox, page: Any) -> None:
    card, kit = message(page, CARD_TS), message(page, KIT_TS)
    pickers = kit.locator('[data-block-id="pickers"]')

    def overflow_archive() -> None:
        pickers.get_by_test_id("overflow").click()
        pickers.get_by_role("button", name="Archive").click()

    option = samples.option
    cases: list[tuple[Any, str, dict[str, Any]]] = [
        (
            card.get_by_role("button", name="Post update").click,
            "card_actions",
            {"type": "button", "value": "INC-2026-12-06-001", "text": plain("Post update")},
        ),
        (
            lambda: card.get_by_role("combobox").select_option(label="SEV-1"),
            "card_actions",
            {"type": "static_select", "selected_option": option("SEV-1", "sev1")},
        ),
        (
            lambda: pickers.locator('[data-action-id="assign"]').select_option("U_BOB"),
            "pickers",
            {"type": "users_select", "selected_user": "U_BOB"},
        ),
        (
            overflow_archive,
            "pickers",
            {"type": "overflow", "selected_option": option("Archive", "archive")},
        ),
        (
            lambda: pickers.locator('[data-action-id="due"]').fill("2026-12-08"),
            "pickers",
            {"type": "datepicker", "selected_date": "2026-12-08"},
        ),
        (
            pickers.get_by_label("Customers told").check,
            "pickers",
            {"type": "checkboxes", "selected_options": [option("Customers told", "told")]},
        ),
        (
            pickers.get_by_label("Fix forward").check,
            "pickers",
            {"type": "radio_buttons", "selected_option": option("Fix forward", "forward")},
        ),
        (
            kit.get_by_role("button", name="Stop").click,
            "with_button",
            {"type": "button", "value": "stop-1", "text": plain("Stop")},
        ),
    ]
    action_ids = ["card_post_update", "card_severity", "assign", "more", "due", "ticks", "pick"]
    for (do, block_id, action), action_id in zip(cases, [*action_ids, "stop"], strict=True):
        ts = CARD_TS if block_id == "card_actions" else KIT_TS
        assert clicked(stub, do) == {
            "user": "U_ALICE",
            "channel": INCIDENT,
            "message_ts": ts,
            "action": {**action, "action_id": action_id, "block_id": block_id},
        }, action_id


def open_modal(stub: StubSandbox, page: Any) -> Any:
    stub.change(modal=copy.deepcopy(samples.MODAL))
    modal = page.get_by_test_id("modal")
    expect(modal.get_by_test_id("modal-title")).to_have_text("Declare an incident")
    return modal


def test_a_modal_checks_required_inputs_itself_then_submits_every_value(
    stub: StubSandbox, page: Any
) -> None:
    modal = open_modal(stub, page)
    expect(modal.get_by_label("Incident commander")).to_have_value("U_ALICE")
    expect(modal.get_by_label("Internal")).to_be_checked()
    modal.get_by_test_id("modal-submit").click()
    errors = modal.get_by_test_id("modal-error")
    expect(errors).to_have_text(["Please complete this required field."] * 2)
    assert [e.get_attribute("data-block-id") for e in errors.all()] == ["title", "severity"]
    assert [name for name, _ in stub.posts if name == "submit"] == []

    modal.get_by_label("Title").fill("Search is slow")
    modal.get_by_label("Severity").select_option(label="SEV-3")
    modal.get_by_label("Description").fill("Line one\nline two")
    modal.get_by_label("Incident commander").select_option("U_BOB")
    modal.get_by_label("Responders").select_option(["U_CAROL", "U_DAVE"])
    modal.get_by_label("Private incident").check()
    modal.get_by_label("Due").fill("2026-12-09")
    # A poll that brings a new version (the clock moved) leaves what was typed alone.
    stub.change(now="2026-12-06T04:31:00+00:00")
    expect(page.get_by_test_id("clock")).to_have_text("🕒 2026-12-06 04:31 UTC")
    expect(modal.get_by_label("Title")).to_have_value("Search is slow")

    stub.answers["submit"] = {"ok": True, "closed": False, "errors": {"title": "Too vague."}}
    with stub.posting("submit") as request:
        modal.get_by_test_id("modal-submit").click()
    assert request.value.post_data_json == {
        "user": "U_ALICE",
        "view_id": "V0042",
        "values": {
            "title": {"title_input": {"type": "plain_text_input", "value": "Search is slow"}},
            "severity": {
                "severity_select": {
                    "type": "static_select",
                    "selected_option": samples.option("SEV-3", "sev3"),
                }
            },
            "description": {
                "description_input": {"type": "plain_text_input", "value": "Line one\nline two"}
            },
            "commander": {"commander_select": {"type": "users_select", "selected_user": "U_BOB"}},
            "responders": {
                "responders_select": {
                    "type": "multi_users_select",
                    "selected_users": ["U_CAROL", "U_DAVE"],
                }
            },
            "private": {
                "private_checkbox": {
                    "type": "checkboxes",
                    "selected_options": [
                        samples.option("Private incident", "private", "A private channel")
                    ],
                }
            },
            "audience": {
                "audience_radio": {
                    "type": "radio_buttons",
                    "selected_option": samples.option("Internal", "internal"),
                }
            },
            "due": {"due_date": {"type": "datepicker", "selected_date": "2026-12-09"}},
        },
    }
    expect(modal.get_by_test_id("modal-error")).to_have_text(["Too vague."])
    expect(modal.get_by_label("Title")).to_have_value("Search is slow")


def test_a_view_updated_by_the_bot_keeps_what_was_typed_and_shows_its_errors(
    stub: StubSandbox, page: Any
) -> None:
    modal = open_modal(stub, page)
    modal.get_by_label("Title").fill("Checkout broken")
    updated = copy.deepcopy(samples.MODAL)
    updated["view"]["title"] = plain("Declare (updated)")
    updated["errors"] = {"severity": "Choose one of the listed severities."}
    stub.change(modal=updated)
    expect(modal.get_by_test_id("modal-title")).to_have_text("Declare (updated)")
    expect(modal.get_by_label("Title")).to_have_value("Checkout broken")
    expect(modal.get_by_test_id("modal-error")).to_have_text(
        ["Choose one of the listed severities."]
    )
    with stub.posting("close") as request:
        modal.get_by_test_id("modal-close").click()
    assert request.value.post_data_json == {"user": "U_ALICE", "view_id": "V0042"}
    stub.change(modal=None)
    expect(page.get_by_test_id("modal")).to_have_count(0)


def test_ephemerals_are_marked_and_can_be_dismissed(stub: StubSandbox, page: Any) -> None:
    ts = "1796529600.000600"
    stub.change(
        ephemerals=[{"ts": ts, "channel": INCIDENT, "text": "Only *you* see this", "blocks": []}]
    )
    ephemeral = page.get_by_test_id("ephemeral")
    expect(ephemeral.locator(".only-you")).to_have_text("👁 Only visible to you")
    expect(ephemeral.locator(".text")).to_have_text("Only you see this")
    with stub.posting("dismiss") as request:
        ephemeral.get_by_test_id("dismiss").click()
    assert request.value.post_data_json == {"user": "U_ALICE", "ts": ts}


def test_the_message_menu_pins_and_offers_the_message_shortcuts(
    stub: StubSandbox, page: Any
) -> None:
    hostile = message(page, HOSTILE_TS)
    hostile.hover()
    hostile.get_by_test_id("message-menu").click()
    items = hostile.get_by_test_id("message-menu-items").get_by_role("button")
    expect(items).to_have_text(["📌 Pin (react :pushpin:)", "⚡ Add to incident timeline"])
    with stub.posting("react") as request:
        items.first.click()
    assert request.value.post_data_json == {
        "user": "U_ALICE",
        "channel": INCIDENT,
        "ts": HOSTILE_TS,
        "name": "pushpin",
    }
    hostile.hover()
    hostile.get_by_test_id("message-menu").click()
    with stub.posting("shortcut") as request:
        items.last.click()
    assert request.value.post_data_json == {
        "user": "U_ALICE",
        "channel": INCIDENT,
        "ts": HOSTILE_TS,
        "callback_id": "add_to_timeline",
    }


def test_the_time_control_moves_the_clock_by_its_buttons(stub: StubSandbox, page: Any) -> None:
    clock = page.get_by_test_id("clock")
    expect(clock).to_have_text("🕒 2026-12-06 04:30 UTC")
    for testid, label, minutes in (
        ("advance-5", "+5 min", 5),
        ("advance-30", "+30 min", 30),
        ("advance-60", "+1 h", 60),
    ):
        button = page.get_by_test_id(testid)
        expect(button).to_have_text(label)
        with stub.posting("advance") as request:
            button.click()
        assert request.value.post_data_json == {"minutes": minutes}
    stub.change(now="2026-12-06T06:05:00+00:00", offset_seconds=5700)
    expect(clock).to_have_text("🕒 2026-12-06 06:05 UTC (+1 h 35 min)")


def test_channels_header_pins_and_bookmarks(stub: StubSandbox, page: Any) -> None:
    expect(page.get_by_test_id("channels").get_by_role("button")).to_have_text(
        [
            "#general",
            "#inc-20261206-001-checkout-is-down",
            "#incidents",
            "#inc-20261205-001-old",
            "🔒inc-20261206-002-secret",
        ]
    )
    expect(page.get_by_test_id("channel-inc-20261205-001-old")).to_have_class(
        re.compile(r"\barchived\b")
    )
    expect(page.get_by_test_id(f"channel-{samples.CHANNELS[1]['name']}")).to_have_class(
        re.compile(r"\bselected\b")
    )
    expect(page.get_by_test_id("channel-name")).to_have_text("# inc-20261206-001-checkout-is-down")
    expect(page.get_by_test_id("channel-topic")).to_have_text("SEV-2 · Commander: @alice")
    bookmark = page.get_by_test_id("bookmark")
    expect(bookmark).to_have_text("🔖 Runbook")
    expect(bookmark).to_have_attribute("href", "https://example.com/runbook")
    page.get_by_test_id("pins").click()
    expect(page.get_by_test_id("pins")).to_have_text("📌 1")
    page.get_by_test_id("pin-item").filter(has_text="SEV-2: Checkout is down").click()
    expect(message(page, CARD_TS)).to_have_class(re.compile(r"\bhighlight\b"))
    expect(message(page, CARD_TS)).to_be_in_viewport()


def test_switching_person_channel_and_home_asks_for_what_they_see(
    stub: StubSandbox, page: Any
) -> None:
    def polled(query: str) -> Any:
        return page.expect_request(lambda request: request.url == f"{stub.url}ui/state?{query}")

    with polled("user=U_BOB&channel=C0003"):
        page.get_by_test_id("user-switcher").select_option("U_BOB")
    with polled("user=U_BOB&channel=C0001"):
        page.get_by_role("link", name="#general").click()
    expect(page).to_have_url(f"{stub.url}?user=U_BOB&channel=C0001")

    with stub.posting("home") as request:
        page.get_by_test_id("home").click()
    assert request.value.post_data_json == {"user": "U_BOB"}
    stub.change(home=samples.HOME)
    home = page.get_by_test_id("home-view")
    expect(home.locator(".block-header")).to_have_text("Incidents")
    expect(page.get_by_test_id("composer")).to_be_hidden()
    assert clicked(stub, home.get_by_role("button", name="Declare incident").click) == {
        "user": "U_BOB",
        "view_id": "V0050",
        "action": {
            "type": "button",
            "value": "declare",
            "text": plain("Declare incident"),
            "action_id": "home_declare",
            "block_id": "block_1",
        },
    }


def test_the_composer_sends_on_enter_and_shows_a_refusal(stub: StubSandbox, page: Any) -> None:
    composer = page.get_by_test_id("composer")
    composer.fill("hello @bob")
    with stub.posting("command") as request:
        composer.press("Enter")
    assert request.value.post_data_json == {
        "user": "U_ALICE",
        "channel": INCIDENT,
        "text": "hello @bob",
    }
    expect(composer).to_have_value("")
    stub.answers["command"] = {"ok": False, "error": "/deploy is not a command here"}
    composer.fill("/deploy now")
    page.get_by_test_id("send").click()
    expect(page.get_by_test_id("composer-error")).to_have_text("/deploy is not a command here")
    expect(composer).to_have_value("/deploy now")
    assert json.loads(json.dumps(stub.posts[-1])) == [
        "command",
        {"user": "U_ALICE", "channel": INCIDENT, "text": "/deploy now"},
    ]
