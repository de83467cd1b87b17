import re
from datetime import date

import pytest

from bot.domain.naming import channel_name, incident_id, slugify, with_suffix

VALID = re.compile(r"^[a-z0-9_-]{1,80}$")
DAY = date(2026, 11, 22)


def test_incident_id_is_zero_padded_per_day():
    assert incident_id(DAY, 7) == "INC-2026-11-22-007"
    assert incident_id(DAY, 1234) == "INC-2026-11-22-1234"


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Refunds executed twice", "refunds-executed-twice"),
        ("  API  5xx on /checkout!! ", "api-5xx-on-checkout"),
        ("Café payments — down", "cafe-payments-down"),
        ("<!channel> *bold* `code`", "channel-bold-code"),
        ("🔥🔥🔥", ""),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_channel_name_format():
    assert (
        channel_name(DAY, 3, "Refunds executed twice") == "inc-20261122-003-refunds-executed-twice"
    )


def test_channel_name_without_usable_title_is_just_the_prefix():
    assert channel_name(DAY, 3, "🔥 !!!") == "inc-20261122-003"


@pytest.mark.parametrize("title", ["x" * 500, "word " * 200, "A" * 3000 + " tail", "ünïcödé " * 40])
def test_channel_name_is_always_valid_for_slack(title):
    name = channel_name(DAY, 999, title)
    assert VALID.match(name), name
    assert not name.endswith("-")


def test_long_title_is_cut_at_a_word_boundary():
    name = channel_name(DAY, 1, "database " * 20)
    assert len(name) <= 80
    assert name.endswith("database")


def test_with_suffix_stays_within_limit():
    name = channel_name(DAY, 1, "y" * 200)
    assert with_suffix(name, 1) == name
    second = with_suffix(name, 2)
    assert second.endswith("-2") and len(second) <= 80 and VALID.match(second)
    assert with_suffix("inc-20261122-001-db", 3) == "inc-20261122-001-db-3"


def test_the_incident_id_follows_the_pack_s_format():
    from datetime import date

    from bot.domain.naming import incident_id

    day = date(2026, 3, 2)
    assert incident_id(day, 7) == "INC-2026-03-02-007"
    assert incident_id(day, 7, "ESC-{YYYY}{MM}{DD}-{NN}") == "ESC-20260302-07"
    assert incident_id(day, 1234, "INC-{YYYY}-{MM}-{DD}-{NNN}") == "INC-2026-03-02-1234"
