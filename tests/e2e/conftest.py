"""The command line as a user runs it. `offsim` calls `sim.cli.main` in this process, from the
repository root, with stdout and stderr captured: what a test of a command's output, files and
exit status needs, without a Python start-up per call. `offsim_process` runs it in a process of
its own, for what only a process shows (its exit status as a shell sees it, a hash seed of its
own, a closed pipe); the installed package's tests (tests/installed) run every command that way.
"""

import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario.shipped import SHIPPED

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(SHIPPED.glob("*.toml"))


@dataclass(frozen=True)
class Done:
    """What a finished command left: as subprocess.CompletedProcess names it."""

    returncode: int
    stdout: str
    stderr: str


def _checked(args, done):
    if done.returncode != 0:
        raise AssertionError(f"offsim {args} exited {done.returncode}: {done.stderr}")
    return done


def offsim(*args, check=False) -> Done:
    """`offsim ARGS` in this process, from the repository root: exit status, stdout, stderr.
    argparse's own exits (a usage error) are a status too, as in a process."""
    argv = [str(a) for a in args]
    out, err, here = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exit:
                code = exit.code if isinstance(exit.code, int) else 1
    finally:
        os.chdir(here)
    done = Done(code, out.getvalue(), err.getvalue())
    return _checked(args, done) if check else done


def offsim_process(*args, env=None, check=False) -> subprocess.CompletedProcess:
    """Run the command line in its own process, from the repository root."""
    full_env = dict(os.environ, **(env or {}))
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", *map(str, args)],
        cwd=ROOT, capture_output=True, text=True, env=full_env, timeout=600,
    )  # fmt: skip
    return _checked(args, proc) if check else proc


@pytest.fixture
def cli():
    return offsim
