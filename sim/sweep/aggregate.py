"""One row per strategy from its runs over seeds (`compare`, sweeps, reports), and the strategies
whose runs were the same.

A row holds, for every numeric field of a run's summary, the summary of its values over the seeds
(`sim.sweep.stats.summarise`: mean with a 95% bootstrap interval, median, min, max), and the runs'
trace digests. The digest covers every event of a run but not the strategy's name, so two
strategies with equal digests on every seed behaved identically under the scenario; two whose
every field summarises the same differ only in what no field measures (which partitions a
commit names, say). Either way the later one is marked `identical_to` the first, with how, and
why when the reason is known (docs/metrics.md).
"""

from __future__ import annotations

from sim.sweep.stats import summarise


def _no_commit_failed(scenario, row: dict) -> bool:
    return row.get("failed_commits", {}).get("max", 0) == 0


# (strategy, the strategy it repeats, when (given the scenario and the row), why): what sets them
# apart is absent from such runs.
KNOWN_IDENTICAL = (
    (
        "auto-store-after-process",
        "auto",
        lambda scenario, row: scenario.consumer.client != "librdkafka",
        "enable.auto.offset.store is librdkafka's: under the Java client it is plain auto commit",
    ),
    (
        "async-worker-commit-completed",
        "async-then-sync-processed",
        lambda scenario, row: scenario.consumer.processing == "sync",
        "with processing in the poll loop there is no worker: it commits what was processed, "
        "naming only the partitions that moved",
    ),
    *(
        (retry, "async-per-batch", _no_commit_failed, "no commit failed: the retry never ran")
        for retry in ("async-retry-naive", "async-retry-seq")
    ),
)
SAME_TRACE = "the same trace on every seed"
SAME_NUMBERS = "the same numbers on every field, from different traces"


def aggregate(scenario: str, strategy: str, summaries: list[dict]) -> dict:
    """The row of one strategy: every numeric field summarised over the seeds (a field with no
    value on some seed, such as a latency with no record to measure, over the seeds that have
    one), the trace digests in seed order, and whether every run held its checks."""
    row: dict = {"scenario": scenario, "strategy": strategy, "seeds": len(summaries)}
    for key, value in summaries[0].items():
        if key == "seed" or isinstance(value, bool | str | list | dict):
            continue
        values = [s[key] for s in summaries if s.get(key) is not None]
        if values:
            row[key] = summarise(values)
    row["trace_digests"] = [s["trace_digest"] for s in summaries]
    row["identical_to"] = None
    row["identical_why"] = None
    row["cross_checks_ok"] = all(s.get("cross_checks_ok", True) for s in summaries)
    row["quiesced"] = all(s.get("quiesced", True) for s in summaries)
    return row


def _numbers(row: dict) -> dict:
    return {key: value for key, value in row.items() if isinstance(value, dict)}


def mark_identical(rows: list[dict], scenario) -> list[dict]:
    """Mark each row that repeats an earlier one: its `identical_to` names the first such
    strategy and `identical_why` says how (the same trace on every seed, or only the same
    numbers) and, when known, why. Returns `rows`."""
    kept: list[dict] = []
    for row in rows:
        for earlier in kept:
            if row["trace_digests"] == earlier["trace_digests"]:
                how = SAME_TRACE
            elif row["seeds"] == earlier["seeds"] and _numbers(row) == _numbers(earlier):
                how = SAME_NUMBERS
            else:
                continue
            row["identical_to"], row["identical_why"] = earlier["strategy"], how
            for strategy, repeats, applies, why in KNOWN_IDENTICAL:
                if {strategy, repeats} == {row["strategy"], earlier["strategy"]}:
                    if applies(scenario, row):
                        row["identical_why"] = f"{how} ({why})"
            break
        else:
            kept.append(row)
    return rows
