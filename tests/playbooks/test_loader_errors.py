"""Every load failure is a PackError line naming the file, the key path and the expectation."""

from pathlib import Path
from typing import Any

import pytest

from playbooks.loader import PackError, builtin_pack_ids, load_pack, parse_pack
from tests.playbooks.factories import minimal_pack, write_pack


def _error_for(tmp_path: Path, data: dict[str, Any] | str) -> tuple[str, PackError]:
    path = write_pack(tmp_path, data)
    with pytest.raises(PackError) as caught:
        load_pack(path)
    return str(path), caught.value


def _assert_line(error: PackError, file: str, path: str, *fragments: str) -> str:
    matching = [line for line in error.lines if line.startswith(f"{file}: {path}: ")]
    assert matching, f"no line for {path!r} in:\n{error}"
    line = matching[0]
    assert "; expected " in line
    for fragment in fragments:
        assert fragment in line, line
    return line


def test_minimal_pack_loads(tmp_path: Path) -> None:
    assert load_pack(write_pack(tmp_path, minimal_pack())).id == "mini"


def test_unknown_key(tmp_path: Path) -> None:
    data = minimal_pack()
    data["playbooks"][0]["phases"][0]["steps"][0]["owner"] = "commander"
    file, error = _error_for(tmp_path, data)
    _assert_line(
        error,
        file,
        "playbooks[0].phases[0].steps[0].owner",
        "unknown key 'owner'",
        "expected one of the keys: text, role, kind, flags, audience",
    )


def test_bad_duration(tmp_path: Path) -> None:
    data = minimal_pack()
    data["severities"][1]["updates"]["internal"] = "every 30 minutes"
    file, error = _error_for(tmp_path, data)
    _assert_line(
        error,
        file,
        "severities[1].updates.internal",
        "'every 30 minutes' is not a duration",
        "expected a duration such as 90s, 5m, 1h, 2d, 4 business hours or 3 business days",
    )


def test_duration_given_as_number(tmp_path: Path) -> None:
    data = minimal_pack()
    data["playbooks"][0]["phases"][0]["within"] = 15
    file, error = _error_for(tmp_path, data)
    _assert_line(
        error, file, "playbooks[0].phases[0].within", "got 15 (a number)", "expected a duration"
    )


def test_duplicate_id(tmp_path: Path) -> None:
    data = minimal_pack()
    data["roles"][1]["id"] = "commander"
    file, error = _error_for(tmp_path, data)
    _assert_line(
        error,
        file,
        "roles[1].id",
        "duplicate id 'commander' (also roles[0].id)",
        "expected a unique id for each role",
    )


def test_step_role_naming_no_role(tmp_path: Path) -> None:
    data = minimal_pack()
    data["playbooks"][0]["phases"][0]["steps"][0]["role"] = "sre"
    file, error = _error_for(tmp_path, data)
    _assert_line(
        error,
        file,
        "playbooks[0].phases[0].steps[0].role",
        "no role has id 'sre'",
        "expected one of the role ids: commander, comms_lead",
    )


def test_commander_must_be_single(tmp_path: Path) -> None:
    data = minimal_pack()
    data["roles"][0]["single"] = False
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "roles[0].single", "not single", "expected single: true")


def test_commander_must_exist(tmp_path: Path) -> None:
    data = minimal_pack()
    data["roles"][0]["id"] = "lead"
    data["playbooks"][0]["phases"][0]["steps"][0]["role"] = "lead"
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "roles", "no role has id 'commander'", "expected a role with id")


def test_playbook_severity_must_exist(tmp_path: Path) -> None:
    data = minimal_pack()
    data["playbooks"][0]["severity"] = "sev-1"
    file, error = _error_for(tmp_path, data)
    _assert_line(
        error,
        file,
        "playbooks[0].severity",
        "no severity has id 'sev-1' (did you mean the id 'sev1'?)",
        "expected one of the severity ids: sev1, sev2",
    )


def test_owner_role_and_audience_must_exist(tmp_path: Path) -> None:
    data = minimal_pack()
    data["comms"]["owner_role"] = "support"
    data["playbooks"][0]["phases"][0]["steps"][1]["audience"] = "buyers"
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "comms.owner_role", "no role has id 'support'", "role ids")
    _assert_line(
        error,
        file,
        "playbooks[0].phases[0].steps[1].audience",
        "no comms audience has id 'buyers'",
        "expected one of the comms.audiences ids (customers)",
    )


def test_message_wording_must_pass_the_avoid_list(tmp_path: Path) -> None:
    data = minimal_pack()
    data["playbooks"][0]["phases"][0]["steps"][1]["text"] = "A bug broke checkout."
    file, error = _error_for(tmp_path, data)
    _assert_line(
        error,
        file,
        "playbooks[0].phases[0].steps[1].text",
        "uses avoided wording 'bug'",
        "expected wording without: bug",
    )


def test_bad_schedule(tmp_path: Path) -> None:
    data = minimal_pack()
    data["checklists"] = [{"id": "daily", "title": "Daily", "schedule": "9am", "items": ["x"]}]
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "checklists[0].schedule", "'9am' is not a schedule", "'daily HH:MM'")


def test_wrong_type_and_missing_key(tmp_path: Path) -> None:
    data = minimal_pack()
    data["roles"][1]["single"] = "perhaps"
    del data["title"]
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "roles[1].single", "got 'perhaps'", "expected true or false")
    _assert_line(error, file, "title", "required key 'title' is missing", "expected a string")


def test_every_problem_is_reported(tmp_path: Path) -> None:
    data = minimal_pack()
    data["severities"][0]["updates"]["internal"] = "soon"
    data["playbooks"][0]["phases"][0]["steps"][0]["kind"] = "shout"
    _, error = _error_for(tmp_path, data)
    assert len(error.lines) == 2
    assert len(str(error).splitlines()) == 2


def test_cross_references_are_checked_once_every_field_is_valid(tmp_path: Path) -> None:
    data = minimal_pack()
    data["roles"][0]["id"] = "lead"  # no commander: a cross-reference problem
    data["severities"][0]["updates"]["internal"] = "soon"  # a field problem
    file, error = _error_for(tmp_path, data)
    assert len(error.lines) == 1
    _assert_line(error, file, "severities[0].updates.internal", "'soon'")
    data["severities"][0]["updates"]["internal"] = "30m"
    file, error = _error_for(tmp_path, data)
    assert len(error.lines) == 2  # the commander, and the step that names the old role id
    _assert_line(error, file, "roles", "no role has id 'commander'")


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    file, error = _error_for(tmp_path, "id: x\ntitle: [unclosed\nroles: []\n")
    _assert_line(error, file, "line 3, column 6", "YAML syntax error", "expected valid YAML")


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    file, error = _error_for(tmp_path, "id: x\ntitle: a\nid: y\n")
    _assert_line(error, file, "line 3, column 1", "duplicate key 'id'", "each key at most once")


def test_tabs(tmp_path: Path) -> None:
    file, error = _error_for(tmp_path, "id: x\n\ttitle: y\n")
    _assert_line(error, file, "line 2, column 1", "tab", "expected spaces")


@pytest.mark.parametrize(
    ("text", "problem"),
    [("", "the file is empty"), ("# nothing\n", "the file is empty"), ("- a\n", "is a list")],
)
def test_empty_or_non_mapping(tmp_path: Path, text: str, problem: str) -> None:
    file, error = _error_for(tmp_path, text)
    _assert_line(error, file, "(top level)", problem, "expected a mapping with keys id, title")


def test_unknown_builtin_lists_the_builtin_ids() -> None:
    with pytest.raises(PackError) as caught:
        load_pack("nosuch")
    line = str(caught.value)
    assert line.startswith("nosuch: (file): no built-in pack or file is named 'nosuch'")
    assert ", ".join(builtin_pack_ids()) in line


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yml"
    with pytest.raises(PackError) as caught:
        load_pack(str(missing))
    assert str(caught.value).startswith(f"{missing}: (file): cannot read it")
    assert "quickmela" in str(caught.value)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yml"
    path.write_bytes("title: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(PackError, match="is not UTF-8; expected a UTF-8 text file"):
        load_pack(path)


def test_parse_pack_names_the_source() -> None:
    with pytest.raises(PackError, match=r"^inline: \(top level\): the file is empty"):
        parse_pack("", "inline")


def test_invalid_id_and_blank_text(tmp_path: Path) -> None:
    data = minimal_pack()
    data["playbooks"][0]["id"] = "Big Outage"
    data["playbooks"][0]["title"] = "   "
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "playbooks[0].id", "'Big Outage' is not a valid id", "lowercase")
    _assert_line(error, file, "playbooks[0].title", "the text is empty", "non-blank text")


def test_audience_only_on_message_steps(tmp_path: Path) -> None:
    data = minimal_pack()
    data["playbooks"][0]["phases"][0]["steps"][0]["audience"] = "customers"
    file, error = _error_for(tmp_path, data)
    _assert_line(
        error,
        file,
        "playbooks[0].phases[0].steps[0].audience",
        "set on a step of kind 'action'",
        "expected audience only on steps with kind: message",
    )


def test_a_severity_name_slack_could_not_show_is_refused(tmp_path: Path) -> None:
    data = minimal_pack()
    data["severities"][0]["name"] = "S" * 76
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "severities[0].name", "76 characters", "at most 75")


def test_an_id_too_long_for_slack_ids_is_refused(tmp_path: Path) -> None:
    data = minimal_pack()
    data["playbooks"][0]["id"] = "p" * 65
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "playbooks[0].id", "at most 64")
    data["playbooks"][0]["id"] = "p" * 64
    assert load_pack(write_pack(tmp_path, data)).playbooks[0].id == "p" * 64


def test_an_alert_rule_must_name_a_severity_of_the_pack(tmp_path: Path) -> None:
    data = minimal_pack()
    data["alert_rules"] = [
        {
            "metric": "error_rate",
            "name": "Error rate",
            "comparison": ">",
            "threshold": 1,
            "unit": "%",
            "duration": "5m",
            "severity": "sev9",
        }
    ]
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "alert_rules[0].severity", "'sev9'", "one of the severity ids")


def test_an_alert_rule_window_in_business_days_is_refused(tmp_path: Path) -> None:
    data = minimal_pack()
    data["alert_rules"] = [
        {
            "metric": "error_rate",
            "name": "Error rate",
            "comparison": ">",
            "threshold": 1,
            "duration": "1 business day",
            "severity": data["severities"][0]["id"],
        }
    ]
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "alert_rules[0].duration", "business calendar", "elapsed time")


def test_an_alert_rule_window_in_business_hours_is_refused(tmp_path: Path) -> None:
    data = minimal_pack()
    data["alert_rules"] = [
        {
            "metric": "error_rate",
            "name": "Error rate",
            "comparison": ">",
            "threshold": 1,
            "duration": "2 business hours",
            "severity": "sev1",
        }
    ]
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "alert_rules[0].duration", "2 business hours", "elapsed time")


def test_an_update_cadence_on_the_business_calendar_is_refused(tmp_path: Path) -> None:
    data = minimal_pack()
    data["severities"][1]["updates"] = {
        "internal": "1 business day",
        "customer": "4 business hours",
    }
    file, error = _error_for(tmp_path, data)
    for audience in ("internal", "customer"):
        _assert_line(error, file, f"severities[1].updates.{audience}", "business", "30m or 1h")


def test_targets_compare_within_one_unit(tmp_path: Path) -> None:
    data = minimal_pack()
    data["severities"][0] |= {
        "respond_within": "8 business hours",
        "resolve_within": "4 business hours",
    }
    file, error = _error_for(tmp_path, data)
    _assert_line(error, file, "severities[0].resolve_within", "shorter than respond_within")
    # Business hours against elapsed time depend on the deployment's calendar: not compared.
    data["severities"][0] |= {"respond_within": "4 business hours", "resolve_within": "1h"}
    assert load_pack(write_pack(tmp_path, data)).severities[0].resolve_within is not None


def test_phase_deadlines_never_decrease_within_one_unit(tmp_path: Path) -> None:
    data = minimal_pack()
    phase = data["playbooks"][0]["phases"][0]
    data["playbooks"][0]["phases"] = [
        phase | {"within": "2 business hours"},
        phase | {"name": "Elapsed", "within": "30m"},
        phase | {"name": "Fix", "within": "1 business hour"},
    ]
    file, error = _error_for(tmp_path, data)
    line = _assert_line(error, file, "playbooks[0].phases[2].within", "never decrease")
    assert "earlier than the 2 business hours deadline" in line
    assert len(error.lines) == 1  # 30m after 2 business hours is not compared
