from datetime import date

import pytest

from playbooks.incident_ids import check_incident_id_format, format_incident_id
from playbooks.loader import builtin_pack_ids, load_pack
from playbooks.logfields import LogField, log_field_key


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Incident ID", LogField.INCIDENT_ID),
        ("Incident Number", LogField.INCIDENT_ID),
        ("Start Time", LogField.START_TIME),
        ("Detected By", LogField.DETECTED_BY),
        ("Detection Method", LogField.DETECTION_METHOD),
        ("Description", LogField.DESCRIPTION),
        ("Resolved By", LogField.RESOLVED_BY),
        ("Reported By", LogField.DETECTED_BY),
        ("PRIORITY", LogField.SEVERITY),
        ("Features Disabled", LogField.FEATURES_DISABLED),
        ("Preventive Action", LogField.PREVENTIVE_ACTIONS),
        ("Action Items", LogField.PREVENTIVE_ACTIONS),
        ("Resolution Time", LogField.DURATION),
        ("Users Impacted", LogField.IMPACT),
        ("USER IMPACT", LogField.IMPACT),
        ("Customer Impact", LogField.IMPACT),
        ("Lessons Learned", LogField.LESSONS_LEARNED),
        ("affected services", LogField.AFFECTED_SERVICES),
        ("Who brought the coffee", None),
    ],
)
def test_log_field_key(label: str, field: LogField | None) -> None:
    assert log_field_key(label) == field


def test_every_builtin_log_knows_severity_and_start() -> None:
    for pack_id in builtin_pack_ids():
        keys = {log_field_key(label) for label in load_pack(pack_id).incident_log}
        assert LogField.SEVERITY in keys, pack_id
        assert LogField.START_TIME in keys, pack_id


def test_every_builtin_label_is_known_so_none_prints_blank_for_good() -> None:
    # A label the bot neither fills nor lets a person fill would print `_(fill in)_` forever.
    for pack_id in builtin_pack_ids():
        for label in load_pack(pack_id).incident_log:
            assert log_field_key(label) is not None, (pack_id, label)


def test_format_incident_id() -> None:
    template = "INC-{YYYY}-{MM}-{DD}-{NNN}"
    assert format_incident_id(template, date(2024, 1, 20), 1) == "INC-2024-01-20-001"
    assert format_incident_id("#{NNNN}", date(2024, 1, 20), 42) == "#0042"


@pytest.mark.parametrize("template", ["INC-{YYYY}", "INC-{YY}-{N}", "INC-{N}-{NN}", "INC-{N"])
def test_bad_incident_id_formats(template: str) -> None:
    with pytest.raises(ValueError, match="expected text with placeholders"):
        check_incident_id_format(template)
