"""bot.blocks.view: the incident as the builders see it."""

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime

import pytest

from bot.blocks.view import IncidentView, RoleLine

DECLARED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def make(status: str = "investigating") -> IncidentView:
    return IncidentView(
        id="INC-2026-01-05-001",
        title="Refunds executed twice",
        severity="sev1",
        severity_name="SEV-1",
        status=status,
        commander="U1",
        declared_at=DECLARED,
        declared_by="U2",
    )


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("investigating", "Investigating"),
        ("identified", "Identified"),
        ("monitoring", "Monitoring"),
        ("resolved", "Resolved"),
    ],
)
def test_status_label(status, label):
    assert make(status).status_label == label


def test_optional_fields_default_to_empty():
    view = make()
    assert (view.description, view.channel_id, view.roles) == ("", None, ())
    assert (view.resolved_at, view.summary) == (None, None)


def test_role_line_defaults_to_nobody():
    assert RoleLine("scribe", "Scribe").holders == ()


def test_views_are_frozen():
    with pytest.raises(FrozenInstanceError):
        make().status = "resolved"  # type: ignore[misc]
