"""`--fail-on`: the anomalies that make `offsim run` and `offsim compare` exit 1, for CI.

A run is judged by the counts of its summary; a comparison by every run of every strategy. The
verdict is one line, said first (before the table), naming each anomaly found, how many records
it touched, and where: `failed (--fail-on): lost: 50 records lost in 3 of 20 runs (auto)`.
"""

from __future__ import annotations

from sim.cli.usage import UsageError

# --fail-on name -> (summary field, what a count of it says)
ANOMALIES = {
    "lost": ("lost", "records lost"),
    "duplicates": ("duplicated_records", "records processed more than once"),
    "concurrent-duplicates": ("concurrent_duplicates", "records processed by two members at once"),
    "offset-regressions": ("offset_regressions", "committed offsets moved backwards"),
}


def parse_fail_on(text: str | None) -> tuple[str, ...]:
    """`lost,duplicates,...` -> the names, checked; None or "" -> none."""
    names = tuple(n.strip() for n in (text or "").split(",") if n.strip())
    for name in names:
        if name not in ANOMALIES:
            raise UsageError(
                f"--fail-on: {name!r} is not an anomaly; allowed: {', '.join(ANOMALIES)}"
            )
    return names


def verdict(names: tuple[str, ...], runs: list[tuple[str, list[dict]]]) -> str | None:
    """The failure line for `runs` ((strategy, its run summaries) pairs), or None if no run
    shows any of the anomalies `names`."""
    total_runs = sum(len(summaries) for _, summaries in runs)
    found = []
    for name in names:
        field, words = ANOMALIES[name]
        hits = [(label, s[field]) for label, summaries in runs for s in summaries if s[field]]
        if not hits:
            continue
        count = sum(n for _, n in hits)
        text = f"{name}: {count:,} {words}"
        if total_runs > 1:
            labels = ", ".join(dict.fromkeys(label for label, _ in hits))
            text += f" in {len(hits)} of {total_runs} runs ({labels})"
        found.append(text)
    return "failed (--fail-on): " + "; ".join(found) if found else None
