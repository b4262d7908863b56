"""The Java client (kafka-clients) as a real conformance client: its jars, and the worker
(`java/OffsimWorker.java`) compiled against them.

The jars are a folder holding `kafka-clients-*.jar` (or `kafka-clients.jar`) and what it needs at
run time (slf4j-api; lz4, snappy and zstd for compressed batches): `$OFFSIM_KAFKA_CLIENTS`, else
`~/.cache/offsim/kafka-clients/libs`. `python -m sim.conformance.java_client prepare` fills the
default folder with Maven (`mvn dependency:copy-dependencies` of kafka-clients), where Maven's
registry is reachable. Java 17 (`java`, `javac`) runs the worker; nothing here is needed unless
`--client java` is asked for.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ENV = "OFFSIM_KAFKA_CLIENTS"
VERSION = "4.4.0"  # what `prepare` fetches; any kafka-clients with the classic consumer runs
CACHE = Path.home() / ".cache" / "offsim"
PREPARE = f"python -m sim.conformance.java_client prepare (or set ${ENV} to a folder of jars)"
SOURCE = Path(__file__).parent / "java" / "OffsimWorker.java"
MAIN = "OffsimWorker"
# The model's classic assignors, as the Java client names them (partition.assignment.strategy).
ASSIGNORS = {
    "range": "org.apache.kafka.clients.consumer.RangeAssignor",
    "roundrobin": "org.apache.kafka.clients.consumer.RoundRobinAssignor",
    "sticky": "org.apache.kafka.clients.consumer.StickyAssignor",
    "cooperative-sticky": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
}
POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>offsim</groupId><artifactId>kafka-clients-jars</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies><dependency>
    <groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId>
    <version>{version}</version>
  </dependency></dependencies>
</project>
"""


class JavaClientError(RuntimeError):
    """The Java client cannot run here (said why, and what prepares it)."""


def jar_folder() -> Path:
    """The folder of kafka-clients and its run-time jars, or JavaClientError naming `prepare`."""
    folder = Path(os.environ.get(ENV) or CACHE / "kafka-clients" / "libs").expanduser()
    if not any(folder.glob("kafka-clients*.jar")):
        raise JavaClientError(f"no kafka-clients jar in {folder}: {PREPARE}")
    return folder


def classpath() -> str:
    """The worker's classpath, compiling it first if this source and these jars have no build
    yet (a folder per hash of both, so a changed source or jar set builds anew)."""
    folder = jar_folder()
    for tool in ("java", "javac"):
        if shutil.which(tool) is None:
            raise JavaClientError(f"the Java client needs Java 17 or later ({tool} not found)")
    jars = sorted(str(p) for p in folder.glob("*.jar"))
    key = hashlib.sha256(SOURCE.read_bytes() + "\n".join(jars).encode()).hexdigest()[:16]
    classes = CACHE / "java-worker" / key
    if not (classes / f"{MAIN}.class").exists():
        classes.parent.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix="build-", dir=classes.parent))
        done = subprocess.run(
            ["javac", "-nowarn", "-XDignore.symbol.file", "-cp", os.pathsep.join(jars),
             "-d", str(build), str(SOURCE)],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            shutil.rmtree(build, ignore_errors=True)
            raise JavaClientError(f"javac failed: {done.stderr[-2000:]}")
        try:
            build.rename(classes)  # atomic: a concurrent build of the same key loses harmlessly
        except OSError:
            shutil.rmtree(build, ignore_errors=True)
    return os.pathsep.join([str(classes), *jars])


def client_version() -> str:
    """The kafka-clients version in the jar folder (its kafka/kafka-version.properties)."""
    import zipfile

    jar = sorted(jar_folder().glob("kafka-clients*.jar"))[0]
    with zipfile.ZipFile(jar) as z:
        text = z.read("kafka/kafka-version.properties").decode()
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)["version"]


def prepare(version: str = VERSION) -> Path:
    """Fetch kafka-clients `version` and its run-time jars into the default folder with Maven."""
    target = CACHE / "kafka-clients" / "libs"
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "pom.xml").write_text(POM.format(version=version))
        command = ["mvn", "-q", "-B", "dependency:copy-dependencies",
                   "-DincludeScope=runtime", f"-DoutputDirectory={target}"]  # fmt: skip
        if subprocess.run(command, cwd=work).returncode:
            raise JavaClientError(f"{' '.join(command)} failed (see its output above)")
    return target


if __name__ == "__main__":
    if sys.argv[1:] != ["prepare"]:
        raise SystemExit("usage: python -m sim.conformance.java_client prepare")
    print(prepare())
