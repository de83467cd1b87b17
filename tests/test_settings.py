"""bot.settings: the business calendar settings (TZ, BUSINESS_HOURS, HOLIDAY_COUNTRY,
HOLIDAY_SUBDIVISION), validated at startup with one line naming the variable."""

from __future__ import annotations

from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe_settings_error
from playbooks.business_calendar import BusinessCalendar, BusinessHours


@pytest.fixture(autouse=True)
def _no_calendar_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TZ", "BUSINESS_HOURS", "HOLIDAY_COUNTRY", "HOLIDAY_SUBDIVISION"):
        monkeypatch.delenv(name, raising=False)


def settings(**values: Any) -> Settings:
    """Settings from these values only, never from the environment or a .env file."""
    base = {"slack_bot_token": "xoxb-1", "slack_signing_secret": "s"}
    return Settings(_env_file=None, **base, **values)  # type: ignore[call-arg]


def error_line(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        settings(**values)
    return describe_settings_error(caught.value)


def test_by_default_weekdays_9_to_5_in_utc_without_holidays():
    calendar = settings().calendar
    assert calendar == BusinessCalendar()
    assert calendar.hours == BusinessHours(time(9), time(17))
    assert calendar.tz == ZoneInfo("UTC")
    assert date(2026, 12, 25) not in calendar.holidays


def test_the_calendar_is_built_from_the_settings_once():
    configured = settings(
        tz="Europe/London",
        business_hours="08:30-18:00",
        holiday_country="gb",
        holiday_subdivision=" sct ",
    )
    assert (configured.holiday_country, configured.holiday_subdivision) == ("GB", "SCT")
    calendar = configured.calendar
    assert calendar is configured.calendar
    assert calendar.tz == ZoneInfo("Europe/London")
    assert calendar.hours == BusinessHours(time(8, 30), time(18))
    assert date(2026, 12, 28) in calendar.holidays  # Boxing Day, observed
    assert date(2026, 1, 2) in calendar.holidays  # Scotland only


def test_a_copy_with_another_time_zone_gets_its_own_calendar():
    utc = settings()
    assert utc.calendar.tz == ZoneInfo("UTC")
    tokyo = utc.model_copy(update={"tz": "Asia/Tokyo"})
    assert tokyo.calendar.tz == ZoneInfo("Asia/Tokyo")
    assert utc.calendar.tz == ZoneInfo("UTC")


def test_blank_holiday_settings_mean_none(monkeypatch):
    monkeypatch.setenv("HOLIDAY_COUNTRY", "")
    monkeypatch.setenv("HOLIDAY_SUBDIVISION", "")
    monkeypatch.setenv("BUSINESS_HOURS", "10:00-16:00")
    read = settings()
    assert (read.holiday_country, read.holiday_subdivision) == (None, None)
    assert read.calendar.hours == BusinessHours(time(10), time(16))


@pytest.mark.parametrize(
    ("values", "line"),
    [
        (
            {"business_hours": "9-5"},
            "BUSINESS_HOURS is invalid: '9-5' is not business hours; expected opening and "
            "closing times on the 24-hour clock, such as 09:00-17:00",
        ),
        (
            {"business_hours": "17:00-09:00"},
            "BUSINESS_HOURS is invalid: '17:00-09:00' does not open before it closes",
        ),
        (
            {"holiday_country": "Narnia"},
            "HOLIDAY_COUNTRY is invalid: 'Narnia' is not a country the holidays library "
            "knows; expected an ISO 3166 country code such as US, GB, IN or DE",
        ),
        (
            {"holiday_country": "US", "holiday_subdivision": "XX"},
            "HOLIDAY_SUBDIVISION is invalid: 'XX' is not a subdivision of US; expected one of AK",
        ),
        (
            {"holiday_subdivision": "CA"},
            "HOLIDAY_SUBDIVISION is invalid: needs HOLIDAY_COUNTRY",
        ),
    ],
)
def test_a_bad_calendar_setting_is_one_line_naming_it(values, line):
    assert error_line(**values).startswith(line)


def test_checklist_times_name_a_checklist_and_a_time_of_day():
    assert settings(checklist_times="pre-launch=08:30; backups=07:05").checklist_times == {
        "pre-launch": time(8, 30),
        "backups": time(7, 5),
    }
    assert settings().checklist_times == {}
    assert "CHECKLIST_TIMES" in error_line(checklist_times="pre-launch")
    assert "not a time of day" in error_line(checklist_times="pre-launch=24:10")


def test_checklist_times_move_the_pack_s_daily_checklist_and_refuse_unknown_ones():
    from playbooks.loader import load_pack
    from playbooks.overrides import at_times

    pack = load_pack("quickmela")
    moved = at_times(pack, {"pre-launch": time(8, 30)})
    assert str(moved.checklist("pre-launch").schedule) == "daily 08:30"
    assert str(pack.checklist("pre-launch").schedule) == "daily 09:00"
    with pytest.raises(ValueError, match="no daily or weekday checklist 'prelaunch'"):
        at_times(pack, {"prelaunch": time(8, 30)})


def test_env_example_documents_every_setting_and_nothing_else():
    """Every setting has its `NAME=` line in .env.example, under a comment saying what it is."""
    from pathlib import Path

    from bot.settings import Settings

    lines = (Path(__file__).resolve().parents[1] / ".env.example").read_text().splitlines()
    named = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert named == {name.upper() for name in Settings.model_fields}
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            above = index - 1
            while above >= 0 and lines[above] and not lines[above].startswith("#"):
                above -= 1  # settings grouped under one comment
            assert above >= 0 and lines[above].startswith("#"), f"{line} has no comment"
