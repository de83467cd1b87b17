"""The sandbox in a real browser, against the real bot and its built-in workspace: what a
newcomer does in the first minute (declare, open the channel, tick a step, hand over, move the
clock until a reminder fires), the declare modal, App Home, pinning and ephemerals, each
result read on the page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.sandbox_browser.conftest import LiveSandbox

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

TIME = r"\d\d:\d\d UTC"


def open_page(page: Any, live: LiveSandbox, user: str = "U_ALICE") -> None:
    page.goto(f"{live.url}?user={user}")
    expect(page.get_by_test_id("channel-name")).to_have_text("# incidents")


def send(page: Any, text: str) -> None:
    composer = page.get_by_test_id("composer")
    composer.fill(text)
    composer.press("Enter")
    expect(composer).to_have_value("")


def day(live: LiveSandbox) -> str:
    return live.running.clock().strftime("%Y%m%d")


def incident_id(live: LiveSandbox) -> str:
    return live.running.clock().strftime("INC-%Y-%m-%d-001")


def declare(page: Any, live: LiveSandbox, title: str = "Checkout is down") -> Any:
    """Declare from the composer in #incidents; open the new channel once it is set up."""
    send(page, f"/incident declare sev2 {title}")
    slug = title.lower().replace(" ", "-")
    channel = page.get_by_test_id(f"channel-inc-{day(live)}-001-{slug}")
    channel.click()
    expect(page.get_by_test_id("pins")).to_have_text("📌 1")
    return channel


def messages(page: Any) -> Any:
    return page.locator('.messages [data-testid="message"]')


def test_a_newcomer_declares_ticks_a_step_hands_over_and_sees_a_reminder(
    page: Any, live: LiveSandbox
) -> None:
    open_page(page, live)
    send(page, "/incident declare sev2 Checkout is down")
    expect(page.get_by_test_id("ephemeral").first).to_contain_text(
        f"🚨 Declared {incident_id(live)}. Setting up the channel…"
    )
    channel = page.get_by_test_id(f"channel-inc-{day(live)}-001-checkout-is-down")
    channel.click()
    expect(page.get_by_test_id("channel-name")).to_have_text(
        f"# inc-{day(live)}-001-checkout-is-down"
    )
    expect(page.get_by_test_id("channel-topic")).to_have_text(
        "SEV-2 · Investigating · Commander: @alice"
    )
    card = messages(page).first
    expect(card.locator(".block-header")).to_have_text("SEV-2: Checkout is down")
    expect(card.get_by_test_id("pinned-mark")).to_have_text("📌 Pinned")

    # The suggested playbook, then the first step of its first phase ticked off.
    page.get_by_role("button", name="Run this playbook").click()
    triage = messages(page).filter(has_text="phase 1/3: Triage")
    expect(triage.locator(".block-section").first).to_contain_text("0/3")
    first = triage.locator('[data-block-id="step|generic|0|0"]')
    first.get_by_role("button", name="Done").click()
    first_step = triage.locator(".block-section").nth(1)
    expect(first_step).to_have_text(
        re.compile(
            r"✅ 1\. Confirm the customer impact and set the severity\n"
            rf"Incident Commander: @alice · ✅ done by @alice at {TIME}"
        )
    )
    expect(triage.locator(".block-section").first).to_contain_text("1/3")
    expect(first.get_by_role("button")).to_have_text(["Undo"])

    # Command handed over from the composer, with @bob typed as in Slack.
    send(page, "/incident commander @bob")
    expect(page.get_by_test_id("channel-topic")).to_have_text(
        "SEV-2 · Investigating · Commander: @bob"
    )
    expect(messages(page).filter(has_text="handed command")).to_have_text(
        re.compile(r"👑 @alice handed command from @alice to @bob\.")
    )

    # The time control: 30 minutes on, the update reminder fires, addressed to Bob.
    page.get_by_test_id("advance-30").click()
    expect(page.get_by_test_id("clock")).to_contain_text("(+30 min)")
    reminder = messages(page).filter(has_text="No internal update")
    expect(reminder.locator(".text")).to_have_text(
        "⏰ No internal update for 30 min: @bob, post one with /incident update …."
    )
    expect(reminder).to_have_count(1)


def test_the_declare_modal_shows_the_bots_errors_then_declares(
    page: Any, live: LiveSandbox
) -> None:
    open_page(page, live)
    send(page, "/incident declare")
    modal = page.get_by_test_id("modal")
    expect(modal.get_by_test_id("modal-title")).to_have_text("Declare an incident")
    expect(modal.get_by_label("Incident commander")).to_have_value("U_ALICE")
    modal.get_by_label("Title", exact=True).fill("   ")
    modal.get_by_label("Severity").select_option(label="SEV-3")
    modal.get_by_test_id("modal-submit").click()
    expect(modal.get_by_test_id("modal-error")).to_have_text(["Give the incident a title."])

    modal.get_by_label("Title", exact=True).fill("Search is slow")
    modal.get_by_test_id("modal-submit").click()
    expect(page.get_by_test_id("modal")).to_have_count(0)
    page.get_by_test_id(f"channel-inc-{day(live)}-001-search-is-slow").click()
    expect(page.get_by_test_id("channel-topic")).to_have_text(
        "SEV-3 · Investigating · Commander: @alice"
    )


def test_app_home_lists_the_open_incident_and_its_button_opens_the_modal(
    page: Any, live: LiveSandbox
) -> None:
    open_page(page, live)
    declare(page, live)
    page.get_by_test_id("user-switcher").select_option("U_BOB")
    page.get_by_test_id("home").click()
    home = page.get_by_test_id("home-view")
    expect(home.locator(".block-header")).to_have_text("Incidents")
    expect(home).to_contain_text("Open incidents (1)")
    expect(home).to_contain_text("SEV-2 · Checkout is down · #inc-")
    home.get_by_role("button", name="Declare incident").click()
    modal = page.get_by_test_id("modal")
    expect(modal.get_by_test_id("modal-title")).to_have_text("Declare an incident")
    expect(modal.get_by_label("Incident commander")).to_have_value("U_BOB")
    modal.get_by_test_id("modal-close").click()
    expect(page.get_by_test_id("modal")).to_have_count(0)


def test_pinning_a_message_from_its_menu_adds_it_to_the_timeline(
    page: Any, live: LiveSandbox
) -> None:
    open_page(page, live, user="U_BOB")
    declare(page, live)
    send(page, "The payments database is failing over")
    said = messages(page).filter(has_text="The payments database is failing over")
    expect(said.get_by_test_id("author")).to_have_text("Bob")
    said.hover()
    said.get_by_test_id("message-menu").click()
    said.get_by_role("button", name="📌 Pin (react :pushpin:)").click()
    expect(said.get_by_test_id("reaction")).to_have_text("📌 1")
    confirmation = page.get_by_test_id("ephemeral").filter(has_text="timeline")
    expect(confirmation.locator(".text")).to_have_text(
        re.compile(
            rf"📌 Added @bob's message of \d{{4}}-\d\d-\d\d {TIME} \(link\) to the timeline "
            rf"of {incident_id(live)}\.\nThe payments database is failing over"
        )
    )


def test_an_ephemeral_is_shown_to_its_person_only_until_dismissed(
    page: Any, live: LiveSandbox
) -> None:
    open_page(page, live)
    send(page, "/incident help")
    help_text = page.get_by_test_id("ephemeral")
    expect(help_text).to_have_count(1)
    expect(help_text.locator(".only-you")).to_have_text("👁 Only visible to you")
    page.get_by_test_id("user-switcher").select_option("U_BOB")
    expect(page.get_by_test_id("user-switcher")).to_have_value("U_BOB")
    expect(page.get_by_test_id("ephemeral")).to_have_count(0)
    page.get_by_test_id("user-switcher").select_option("U_ALICE")
    expect(help_text).to_have_count(1)
    help_text.get_by_test_id("dismiss").click()
    expect(page.get_by_test_id("ephemeral")).to_have_count(0)
