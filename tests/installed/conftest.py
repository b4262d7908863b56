"""offsim as a user installs it: a fresh virtual environment in a temporary folder, made once a
session, with this checkout installed by pip as the README's first command does (plus the
`notebooks` extra, for `jupyter execute`). Every test here runs the installed `offsim` (or its
Python) from a folder outside the checkout, so nothing can lean on the checkout's files or on
the working directory. pip fetches the dependencies from the configured index (its cache makes
a second session quick). Select them with `-m installed`; skip them with
`-m "not deep and not installed"` (a `-m` replaces the default `-m "not deep"`).
"""

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Installed:
    """The fresh environment: its `bin/` and the environment variables that select it."""

    bin: Path
    env: dict

    def run(self, command: str | list, cwd: Path, timeout: int = 900):
        """Run a command line as a user types it (the installed console scripts come first on
        PATH), from `cwd`."""
        argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
        return subprocess.run(
            argv, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout
        )


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Installed:
    home = tmp_path_factory.mktemp("installed")
    venv = home / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        JUPYTER_DATA_DIR=str(home / "jupyter"),  # no kernel of another environment
        JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
        MPLBACKEND="Agg",
    )
    proc = subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "install", "--quiet", f"{ROOT}[notebooks]"],
        env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return Installed(venv / "bin", env)


@pytest.fixture
def empty(tmp_path) -> Path:
    """An empty folder outside the checkout."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder
