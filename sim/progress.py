"""Progress of long work, on stderr: a bar on a terminal, a plain line every few seconds
elsewhere (a CI log), so that no command is silent for minutes and stdout stays the result.

The clock here only paces what is printed; it never touches a run (runs know no wall clock).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

EVERY_S = 5.0  # seconds between two lines when stderr is not a terminal


def progress(
    items: Iterable[T], total: int | None, what: str, unit: str, stream=None
) -> Iterator[T]:
    """`items`, reported as they pass: `what` names the work, `unit` one item (singular),
    `total` how many there will be, if known."""
    stream = sys.stderr if stream is None else stream
    if stream.isatty():
        from tqdm import tqdm

        yield from tqdm(items, total=total, desc=what, unit=unit, file=stream, leave=False)
    else:
        yield from lines(items, total, what, unit, stream)


def lines(items, total: int | None, what: str, unit: str, stream, clock=time.monotonic, every=None):
    """A line at most every `every` seconds (EVERY_S), and a last one when any was written."""
    every = EVERY_S if every is None else every
    start = last = clock()
    done, spoke = 0, False
    for item in items:
        yield item
        done += 1
        now = clock()
        if now - last >= every:
            print(_line(what, done, total, unit, now - start), file=stream, flush=True)
            last, spoke = now, True
    if spoke:
        print(_line(what, done, total, unit, clock() - start), file=stream, flush=True)


def _line(what: str, done: int, total: int | None, unit: str, seconds: float) -> str:
    count = f"{done:,}" if total is None else f"{done:,} of {total:,}"
    units = unit if (total or done) == 1 else unit + "s"
    return f"{what}: {count} {units} done, {seconds:,.0f} s"
