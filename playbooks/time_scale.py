"""`PACK_TIME_SCALE`: every elapsed-time duration of a pack divided by one factor.

For demos, a sandbox and tests: at 60, escrow's "escalate after 15 minutes" comes after 15
seconds. Cadences, targets, escalation times, phase deadlines and retrospective windows are
scaled; business days, business hours and calendar schedules (`daily 09:00`) are not, since
they follow the calendar rather than a stopwatch, and neither are alert rules' windows, which
monitoring measures.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from playbooks.durations import Duration
from playbooks.model import AlertRule

Model = TypeVar("Model", bound=BaseModel)


def scale_duration(duration: Duration, factor: float) -> Duration:
    """An elapsed-time duration divided by `factor` (at least one second); business days
    and business hours unchanged."""
    if duration.is_business or factor == 1:
        return duration
    return Duration(seconds=max(1, round(duration.seconds / factor)))


def scale_pack(pack: Model, factor: float) -> Model:
    """The pack with every elapsed-time duration divided by `factor` (> 0)."""
    if factor <= 0:
        raise ValueError("the time scale must be above 0")
    if factor == 1:
        return pack
    scaled: Model = _scaled(pack, factor)
    return scaled


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, AlertRule):
        return value  # a monitoring window is measured by the monitoring, not by the bot
    if isinstance(value, Duration):
        return scale_duration(value, factor)
    if isinstance(value, BaseModel):
        changes = {name: _scaled(getattr(value, name), factor) for name in type(value).model_fields}
        return value.model_copy(update=changes)
    if isinstance(value, tuple):
        return tuple(_scaled(item, factor) for item in value)
    if isinstance(value, list):
        return [_scaled(item, factor) for item in value]
    if isinstance(value, dict):
        return {key: _scaled(item, factor) for key, item in value.items()}
    return value
