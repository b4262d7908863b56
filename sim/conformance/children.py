"""The child processes of a real run (clients' workers, a broker): they die with the controller
that started them, even when it is SIGKILLed, and are killed and reaped when a run ends early.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

# Looked up here, not in a forked child (a dlopen there could wait on a lock another thread of
# this process held at the fork).
_PRCTL = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None


def _pdeathsig() -> None:
    _PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# A child process's preexec_fn: SIGTERM it when the controller dies, even by SIGKILL (Linux;
# elsewhere None, and close() and Ctrl-C still stop it).
die_with_parent = _pdeathsig if _PRCTL else None


def kill(process) -> None:
    """Kill a child process still running, and reap it."""
    if process is not None and process.poll() is None:
        process.kill()
        process.wait(10)


def worker_stderr(name: str):
    """Where a worker's stderr goes: nowhere, unless `OFFSIM_CONFORM_DEBUG` names librdkafka
    debug contexts (the worker turns them on); then to `<name>.log` in `OFFSIM_CONFORM_LOGS`
    (default `conform-logs/`), kept after the run. The caller closes a file once the child
    has its copy."""
    if not os.environ.get("OFFSIM_CONFORM_DEBUG"):
        return subprocess.DEVNULL
    folder = Path(os.environ.get("OFFSIM_CONFORM_LOGS", "conform-logs"))
    folder.mkdir(parents=True, exist_ok=True)
    return open(folder / f"{name}.log", "ab")
