import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.scenario.shipped import SHIPPED

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(SHIPPED.glob("*.toml"))


def offsim(*args, env=None, check=False):
    """Run the command line as a user would, in its own process, from the repository root."""
    full_env = dict(os.environ, **(env or {}))
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, env=full_env, timeout=600,
    )  # fmt: skip
    if check and proc.returncode != 0:
        raise AssertionError(f"offsim {args} exited {proc.returncode}: {proc.stderr}")
    return proc


@pytest.fixture
def cli():
    return offsim
