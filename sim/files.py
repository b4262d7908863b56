"""Writing a file so that an interruption never leaves half of it.

Every file offsim writes whole (a chart, a report, a counterexample, a CSV export) is written to
a temporary file beside it and moved over the target in one step (`os.replace`, atomic on POSIX
and Windows within a directory): a run interrupted at any moment leaves the old file or the new
one, never a truncated mix. The event trace is the exception, by design: it streams, so a killed
run keeps every event recorded so far (docs/trace.md).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path beside `path`, with the same suffix (matplotlib picks the format
    by it); once the block ends without error, it replaces `path`. On error it is removed."""
    path = Path(path)
    partial = path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_text(path, text: str) -> None:
    with replacing(path) as partial:
        partial.write_text(text, encoding="utf-8")
