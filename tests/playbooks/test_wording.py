import pytest

from playbooks.wording import find_avoided_phrases, keyword_score

AVOID = ["Bug", "Error", "Our fault", "System crashed"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("There is a Bug here", ["Bug"]),
        ("a bug.", ["Bug"]),
        ("(bug)", ["Bug"]),
        ("We are debugging it", []),
        ("Bugs were found", []),
        ("ERROR: payment", ["Error"]),
        ("errors everywhere", []),
        ("It was OUR  fault", ["Our fault"]),
        ("it was our\nfault", ["Our fault"]),
        ("ourfault", []),
        ("the system crashed!", ["System crashed"]),
        ("Our fault: a bug and an error", ["Bug", "Error", "Our fault"]),
        ("Your funds are safe.", []),
    ],
)
def test_find_avoided_phrases(text: str, found: list[str]) -> None:
    assert find_avoided_phrases(text, AVOID) == found


def test_no_duplicates_and_pack_order() -> None:
    assert find_avoided_phrases("bug bug BUG", ["bug", "Bug", "crash"]) == ["bug"]


def test_blank_phrases_are_ignored() -> None:
    assert find_avoided_phrases("anything", ["", "  "]) == []


def test_keyword_score_prefers_longer_phrases() -> None:
    assert keyword_score("Refunds executed twice", ["refunds", "refunds executed"]) == 23
    assert keyword_score("Refunds executed twice", ["refund"]) == 0
