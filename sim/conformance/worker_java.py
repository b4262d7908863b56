"""The Java client's worker: `python -m sim.conformance.worker_java SPEC.json` writes the spec as
the Java worker's properties and replaces this process with it (exec), so the controller's
signals (SIGTERM, SIGUSR1, SIGKILL) and its death signal reach the JVM itself.
"""

from __future__ import annotations

import json
import os
import sys

from sim.conformance.java_client import ASSIGNORS, MAIN, classpath


def properties(spec: dict) -> str:
    """The spec as java.util.Properties text; crash points as `index:at:batch:after:owner;...`
    (owner -1: any)."""
    points = ";".join(
        f"{p['index']}:{p['at']}:{p['batch']}:{p['after']}:"
        f"{-1 if p['owner_of'] is None else p['owner_of']}"
        for p in spec["points"]
    )
    flat = {k: v for k, v in spec.items() if k != "points" and v is not None}
    flat["points"] = points
    flat["assignor_class"] = ASSIGNORS[spec["assignor"]]
    return "".join(f"{k}={_escape(str(v))}\n" for k, v in sorted(flat.items()))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:").replace("=", "\\=")


if __name__ == "__main__":
    with open(sys.argv[1]) as file:
        spec = json.load(file)
    path = sys.argv[1].removesuffix(".json") + ".properties"
    with open(path, "w") as file:
        file.write(properties(spec))
    os.execvp("java", ["java", "-Xss1m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                       "-cp", classpath(), MAIN, path])  # fmt: skip
