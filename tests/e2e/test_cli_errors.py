"""Bad input gets one clear line, exit code 2, and no traceback."""

import pytest

from .conftest import offsim_process


@pytest.mark.parametrize(
    "text,expected",
    [
        ('name = "x"\n[group]\nsesion_timeout_ms = 10\n', "group.sesion_timeout_ms"),
        ('name = "x"\n[group]\nprotocol = "eagre"\n', "group.protocol"),
        ('name = "x"\n[[faults]]\nkind = "crash"\nconsumer = 9\nat_ms = 1\n', "faults[0].consumer"),
        ('name = "x"\n[group]\nsession_timeout_ms = 3000\nheartbeat_interval_ms = 1000\n', "6000"),
        ("name = \n", "not valid TOML"),
        ('name = "x"\n[group]\nprotocol = "consumer"\nassignor = "range"\n', "group.assignor"),
    ],
)
def test_malformed_scenarios_name_file_and_field(cli, tmp_path, text, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    proc = cli("run", path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert str(path) in proc.stderr and expected in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_file_and_unknown_strategy_exit_2(cli, tmp_path):
    """The missing file in a process of its own: exit status 2 as a shell sees it."""
    proc = offsim_process("run", tmp_path / "nope.toml")
    assert proc.returncode == 2 and "nope.toml" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("run", "crash-mid-batch", "--strategy", "yolo")
    assert proc.returncode == 2 and "sync-per-batch" in proc.stderr
