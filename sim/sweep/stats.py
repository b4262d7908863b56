"""A quantity over seeds, summarised for `compare`, sweeps and reports (docs/metrics.md).

Counts over seeds are skewed and never negative: most seeds lose nothing and one loses 1,769,
so a mean with a symmetric Student's t interval runs below zero and hides the spread. A summary
here is the mean with a 95% percentile-bootstrap interval of it (made of means of the values, so
it stays within their range: never below zero for a count), and the median, minimum and maximum,
which a reader needs where the values span an order of magnitude or more (`skewed`).

Deterministic: the bootstrap's resamples come from a Philox generator keyed by the number of
values, and are applied to the values sorted, so the same values give the same interval in any
order, in any process.
"""

from __future__ import annotations

import functools

import numpy as np

from sim.engine.draws import generator

RESAMPLES = 2_000
CONFIDENCE = 0.95
_BOOTSTRAP = 0x0B00  # the bootstrap's key, beside the number of values
SPREAD = 10  # a maximum this many times the minimum (or more) is shown as median and range


@functools.lru_cache(maxsize=64)
def _resamples(n: int) -> np.ndarray:
    """RESAMPLES rows of n indexes drawn with replacement from range(n)."""
    return generator(_BOOTSTRAP, n).integers(0, n, size=(RESAMPLES, n))


def summarise(values) -> dict:
    """{mean, low, high, median, min, max}: the mean and its 95% bootstrap interval, then the
    median and range."""
    v = np.sort(np.asarray(values, dtype=np.float64))
    n = len(v)
    mean, median = float(v.mean()), float(np.median(v))
    lo, hi = float(v[0]), float(v[-1])
    if lo == hi:
        return {"mean": lo, "low": lo, "high": lo, "median": lo, "min": lo, "max": lo}
    means = v[_resamples(n)].mean(axis=1)
    tail = (1 - CONFIDENCE) / 2
    low, high = (float(q) for q in np.quantile(means, (tail, 1 - tail)))
    return {
        "mean": mean,
        "low": min(max(low, lo), mean),
        "high": max(min(high, hi), mean),
        "median": median,
        "min": lo,
        "max": hi,
    }


def skewed(cell: dict) -> bool:
    """The values span an order of magnitude or more (a zero beside a positive value counts):
    the mean of a few seeds then says little, their median and range say what happened."""
    return cell["max"] > 0 and cell["max"] >= SPREAD * cell["min"]
