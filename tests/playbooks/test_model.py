import pytest
from pydantic import ValidationError

from playbooks.durations import Duration
from playbooks.model import Pack
from tests.playbooks.factories import minimal_pack


@pytest.fixture
def pack() -> Pack:
    return Pack.model_validate(minimal_pack())


@pytest.mark.parametrize("query", ["sev1", "SEV1", "SEV-1", "sev-1", "Sev 1", "1"])
def test_severity_lookup(pack: Pack, query: str) -> None:
    severity = pack.severity(query)
    assert severity is not None and severity.id == "sev1"


@pytest.mark.parametrize("query", ["sev9", "", "critical", "3"])
def test_severity_lookup_misses(pack: Pack, query: str) -> None:
    assert pack.severity(query) is None


@pytest.mark.parametrize(
    "query", ["comms_lead", "Communications Lead", "communications-lead", "COMMUNICATIONS_LEAD"]
)
def test_role_lookup(pack: Pack, query: str) -> None:
    role = pack.role(query)
    assert role is not None and role.id == "comms_lead"


def test_role_lookup_miss(pack: Pack) -> None:
    assert pack.role("scribe") is None
    assert pack.role("") is None


def test_ids_rank_and_commander(pack: Pack) -> None:
    assert pack.severity_ids == ["sev1", "sev2"]
    assert pack.role_ids == ["commander", "comms_lead"]
    assert pack.playbook_ids == ["outage"]
    assert pack.rank("sev1") == 0
    assert pack.rank("SEV-2") == 1
    assert pack.rank(pack.severities[1]) == 1
    with pytest.raises(KeyError):
        pack.rank("sev9")
    assert pack.commander.id == "commander"


def test_playbook_lookup_and_steps(pack: Pack) -> None:
    playbook = pack.playbook("OUTAGE")
    assert playbook is not None
    assert [s.text for s in playbook.steps] == ["Roll back", "We are on it."]
    assert pack.playbook("nope") is None


def test_suggest_playbook(pack: Pack) -> None:
    assert pack.suggest_playbook("Checkout DOWN in EU").id == "outage"  # type: ignore[union-attr]
    assert pack.suggest_playbook("Slow search") is None
    assert pack.suggest_playbook("Countdown timer wrong") is None  # "down" is not a whole word


def test_suggest_playbook_tie_goes_to_pack_order() -> None:
    data = minimal_pack()
    second = dict(data["playbooks"][0], id="second", match=["down"])
    data["playbooks"][0]["match"] = ["down"]
    data["playbooks"].append(second)
    pack = Pack.model_validate(data)
    assert pack.suggest_playbook("site down").id == "outage"  # type: ignore[union-attr]


def test_models_are_frozen(pack: Pack) -> None:
    with pytest.raises(ValidationError):
        pack.id = "other"  # type: ignore[misc]


def test_durations_are_parsed(pack: Pack) -> None:
    assert pack.severities[0].updates.customer == Duration(seconds=3600)
    assert pack.playbooks[0].phases[0].within == Duration(seconds=900)


def test_round_trip_through_json(pack: Pack) -> None:
    dumped = pack.model_dump(mode="json", exclude_defaults=True)
    assert dumped["severities"][0]["updates"] == {"internal": "30m", "customer": "1h"}
    assert Pack.model_validate(dumped) == pack
