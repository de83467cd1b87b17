"""Every callback, block and action ID the bot sends and listens for."""

from __future__ import annotations

from enum import StrEnum


class CallbackId(StrEnum):
    """Modal callback IDs."""

    DECLARE = "incident_declare"


class BlockId(StrEnum):
    """Block IDs of inputs in modals."""

    TITLE = "title"
    SEVERITY = "severity"
    DESCRIPTION = "description"
    COMMANDER = "commander"


class ActionId(StrEnum):
    """Action IDs of interactive elements."""

    TITLE = "title_input"
    SEVERITY = "severity_select"
    DESCRIPTION = "description_input"
    COMMANDER = "commander_select"
