from datetime import datetime, time

import pytest

from playbooks.schedule import Schedule, parse_schedule


def test_parse_valid() -> None:
    assert parse_schedule("daily 09:00") == Schedule("daily", time(9, 0))
    assert parse_schedule("weekdays 23:59") == Schedule("weekdays", time(23, 59))
    assert parse_schedule("on_resolve") == Schedule("on_resolve")
    assert str(parse_schedule("weekdays 07:05")) == "weekdays 07:05"


@pytest.mark.parametrize(
    "text", ["daily 9:00", "daily 24:00", "daily 12:60", "hourly", "Daily 09:00", "on resolve", ""]
)
def test_parse_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="expected 'daily HH:MM', 'weekdays HH:MM'"):
        parse_schedule(text)


def test_next_run() -> None:
    friday_noon = datetime(2024, 5, 10, 12, 0)
    assert parse_schedule("daily 09:00").next_run(friday_noon) == datetime(2024, 5, 11, 9, 0)
    assert parse_schedule("weekdays 09:00").next_run(friday_noon) == datetime(2024, 5, 13, 9, 0)
    assert parse_schedule("daily 13:00").next_run(friday_noon) == datetime(2024, 5, 10, 13, 0)
    assert parse_schedule("on_resolve").next_run(friday_noon) is None
