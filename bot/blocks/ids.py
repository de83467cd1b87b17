"""Every callback, block and action ID the bot sends and listens for."""

from __future__ import annotations

from enum import StrEnum


class CallbackId(StrEnum):
    """Modal callback IDs."""

    DECLARE = "incident_declare"
    LOG_EDIT = "incident_log_edit"
    CARD_UPDATE = "card_update_form"
    CARD_RESOLVE = "card_resolve_form"
    ADD_TO_TIMELINE = "add_to_timeline"  # message shortcut
    DECLARE_FROM_MESSAGE = "declare_from_message"  # message shortcut
    PICK_INCIDENT = "add_to_timeline_pick"  # the modal asking which incident
    CARD_FOLLOW_UP = "card_follow_up_form"


class BlockId(StrEnum):
    """Block IDs of inputs in modals."""

    TITLE = "title"
    SEVERITY = "severity"
    DESCRIPTION = "description"
    COMMANDER = "commander"
    PLAYBOOK = "playbook"
    UPDATE_AUDIENCE = "update_audience"
    UPDATE_TEXT = "update_text"
    RESOLUTION = "resolution"
    ROOT_CAUSE = "root_cause"
    PREVENTION = "prevention"
    INCIDENT = "incident"
    PRIVATE = "private"
    FOLLOW_UP_TEXT = "follow_up_text"
    FOLLOW_UP_OWNER = "follow_up_owner"
    FOLLOW_UP_DUE = "follow_up_due"


class ActionId(StrEnum):
    """Action IDs of interactive elements."""

    TITLE = "title_input"
    SEVERITY = "severity_select"
    DESCRIPTION = "description_input"
    COMMANDER = "commander_select"
    PLAYBOOK = "playbook_select"
    STEP_DONE = "step_done"
    STEP_SKIP = "step_skip"
    STEP_ASSIGN_ME = "step_assign_me"
    STEP_ASSIGN = "step_assign"
    STEP_UNDO = "step_undo"
    STEP_SEND = "step_send"
    STEP_DONE_ANYWAY = "step_done_anyway"
    STEP_MONITOR = "step_monitor"
    ATTACH_PLAYBOOK = "attach_playbook"
    POST_ANYWAY = "customer_post_anyway"
    CANCEL_DRAFT = "customer_cancel"
    CHECKLIST_TICK = "checklist_tick"
    HAND_OVER_TO = "hand_over_to"
    ESCALATE = "escalate"
    ALERT_DECLARE = "alert_declare"
    ALERT_DISMISS = "alert_dismiss"
    ALERT_SEVERITY = "alert_severity"
    LOG_FIELD = "log_field_input"
    CARD_POST_UPDATE = "card_post_update"
    CARD_SEVERITY = "card_severity"
    CARD_TAKE_ROLE = "card_take_role"
    CARD_RESOLVE = "card_resolve"
    CARD_FORM_FIELD = "card_form_field"
    FOLLOW_UP_DONE = "follow_up_done"
    FOLLOW_UP_REOPEN = "follow_up_reopen"
    PICK_INCIDENT = "incident_select"
    PRIVATE = "private_checkbox"
    HOME_DECLARE = "home_declare"  # the Declare incident button on the App Home tab
    CARD_FOLLOW_UP = "card_follow_up"


STEP_ACTIONS = (
    ActionId.STEP_SEND,
    ActionId.STEP_DONE_ANYWAY,
    ActionId.STEP_MONITOR,
    ActionId.STEP_DONE,
    ActionId.STEP_SKIP,
    ActionId.STEP_ASSIGN_ME,
    ActionId.STEP_ASSIGN,
    ActionId.STEP_UNDO,
)
SUGGEST = "__suggest__"
NO_PLAYBOOK = "__none__"


def step_block_id(playbook: str, phase: int, step: int) -> str:
    """The block ID that names one step: `step|<playbook>|<phase>|<step>`."""
    return f"step|{playbook}|{phase}|{step}"


def parse_step_block_id(block_id: str) -> tuple[str, int, int] | None:
    """Undo `step_block_id`, or None for anything else."""
    parts = block_id.split("|")
    if len(parts) != 4 or parts[0] != "step" or not parts[2].isdigit() or not parts[3].isdigit():
        return None
    return parts[1], int(parts[2]), int(parts[3])
