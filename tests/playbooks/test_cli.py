import io
from pathlib import Path

from playbooks.cli import main, validate_command
from tests.playbooks.factories import minimal_pack, write_pack


def test_valid_pack_prints_ok_and_returns_0(tmp_path: Path) -> None:
    path = str(write_pack(tmp_path, minimal_pack()))
    out, err = io.StringIO(), io.StringIO()
    assert validate_command(path, out=out, err=err) == 0
    assert out.getvalue() == f"OK {path}: pack mini (2 severities, 2 roles, 1 playbooks)\n"
    assert err.getvalue() == ""


def test_invalid_pack_prints_problems_and_returns_2(tmp_path: Path) -> None:
    data = minimal_pack()
    data["roles"][0]["single"] = False
    data["severities"][0]["updates"]["internal"] = "often"
    path = str(write_pack(tmp_path, data))
    out, err = io.StringIO(), io.StringIO()
    assert validate_command(path, out=out, err=err) == 2
    assert out.getvalue() == ""
    lines = err.getvalue().splitlines()
    assert lines == [
        f"{path}: severities[0].updates.internal: 'often' is not a duration; "
        "expected a duration such as 90s, 5m, 1h, 2d, 4 business hours or 3 business days "
        "(a number above 0)"
    ]


def test_builtin_id_validates(capsys) -> None:  # type: ignore[no-untyped-def]
    assert validate_command("quickmela") == 0
    assert capsys.readouterr().out.startswith("OK quickmela: pack quickmela (4 severities")


def test_main_returns_worst_code(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    good = str(write_pack(tmp_path, minimal_pack()))
    assert main(["validate", good, "default"]) == 0
    assert main(["validate", good, str(tmp_path / "missing.yml")]) == 2
    assert "missing.yml: (file): cannot read it" in capsys.readouterr().err
