"""The ledger and what is judged from it: the ground truth of a run and its checks.

The engine writes the ledger as the run happens (`recording`, its small records in `records`,
and the JSONL trace of its events in `trace`); after the run, and never inside it, `checker`
reads it: the anomalies per record (`anomalies`) with the events that explain them (`witness`),
the run's measures (`metrics`) and the cross-checks that catch a broken simulator
(`cross_checks`). Nothing here schedules, decides or changes a run.
"""

from sim.ledger.encoding import CODES, EVENT_FIELDS
from sim.ledger.recording import NEVER, Ledger, LedgerError
from sim.ledger.records import Commit, Delivery, Fault, Position, Segment, Tenure

__all__ = [
    "CODES",
    "EVENT_FIELDS",
    "NEVER",
    "Commit",
    "Delivery",
    "Fault",
    "Ledger",
    "LedgerError",
    "Position",
    "Segment",
    "Tenure",
]
