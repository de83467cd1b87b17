"""playbooks.incident_ids: a pack's incident ID format must fit the stored ID."""

from __future__ import annotations

import pytest

from playbooks.incident_ids import check_incident_id_format
from playbooks.problems import PackValueError


def test_a_format_making_ids_longer_than_32_characters_is_refused():
    with pytest.raises(PackValueError, match="makes IDs of 37 characters"):
        check_incident_id_format("MAJOR-INCIDENT-REPORT-{YYYY}-{MM}-{DD}-{NNNN}")
    assert check_incident_id_format("INC-{YYYY}-{MM}-{DD}-{NNN}") == "INC-{YYYY}-{MM}-{DD}-{NNN}"
