import pytest

from bot.domain.commands import (
    parse_declare,
    parse_role_assignment,
    parse_user,
    require_text,
    split_subcommand,
)
from bot.domain.errors import BadCommand

SEVERITIES = {"sev1": "sev1", "sev-1": "sev1", "sev2": "sev2"}


def find(text):
    return SEVERITIES.get(text.lower())


def test_split_subcommand():
    assert split_subcommand("  Declare sev1  Refunds twice ") == ("declare", "sev1  Refunds twice")
    assert split_subcommand("") == ("", "")
    assert split_subcommand("timeline") == ("timeline", "")


def test_parse_declare_inline():
    args = parse_declare("SEV1 Refunds executed twice", find)
    assert (args.severity, args.title, args.playbook) == ("sev1", "Refunds executed twice", None)


def test_parse_declare_with_playbook_option():
    args = parse_declare("sev2 Refund executed twice --playbook refund-incorrect", find)
    assert args.playbook == "refund-incorrect"
    assert args.title == "Refund executed twice"
    assert args.private is False


def test_parse_declare_private_anywhere():
    args = parse_declare("sev1 --private Keys leaked --playbook breach", find)
    assert (args.severity, args.title, args.playbook, args.private) == (
        "sev1",
        "Keys leaked",
        "breach",
        True,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Usage"),
        ("sev9 Something", "`sev9` is not a severity"),
        ("sev1", "title"),
        ("sev1 x --colour red", "--playbook <id>` and `--private"),
    ],
)
def test_parse_declare_errors(text, message):
    with pytest.raises(BadCommand, match=message):
        parse_declare(text, find)


def test_parse_user():
    assert parse_user("<@U123ABC|alice>") == "U123ABC"
    assert parse_user("<@W999>") == "W999"
    with pytest.raises(BadCommand, match="not a user mention"):
        parse_user("@alice")


def test_parse_role_assignment_with_spaces_in_role():
    assert parse_role_assignment("Communications Lead <@U7|bob>") == ("Communications Lead", "U7")
    with pytest.raises(BadCommand, match="Usage"):
        parse_role_assignment("scribe")


def test_require_text():
    assert require_text("  hi ", "x") == "hi"
    with pytest.raises(BadCommand, match="Usage: `/incident note <text>`"):
        require_text("   ", "/incident note <text>")


def test_a_mistyped_subcommand_finds_the_closest_one():
    from bot.domain.commands import closest_subcommand

    assert closest_subcommand("comander") == "commander"
    assert closest_subcommand("SEVERITY") == "severity"
    assert closest_subcommand("timelin") == "timeline"
    assert closest_subcommand("frobnicate") is None


def test_a_named_playbook_can_stand_for_the_severity():
    from bot.domain.commands import DeclareArgs, parse_declare

    def find(text):
        return {"p0": "p0", "p1": "p1"}.get(text.lower())

    assert parse_declare("--playbook payment-down Stripe is down", find) == DeclareArgs(
        severity=None, title="Stripe is down", playbook="payment-down"
    )
    assert parse_declare("p1 Stripe is slow --playbook payment-down", find) == DeclareArgs(
        severity="p1", title="Stripe is slow", playbook="payment-down"
    )
    with pytest.raises(BadCommand, match="`Stripe` is not a severity"):
        parse_declare("Stripe is down", find)
