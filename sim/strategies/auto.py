"""enable.auto.commit=true, Java classic rules (seed claim 1; SEMANTICS.md §2).

    props.put("enable.auto.commit", "true");
    while (running) { for (record : consumer.poll(timeout)) process(record); }

The client commits positions itself: inside poll() once the interval has passed, at the start of
every rebalance, and in close(). With processing finished inside the loop that is at-least-once.
"""

from .base import Strategy


class Auto(Strategy):
    name = "auto"
    summary = "enable.auto.commit: positions committed inside poll(), on rebalance, in close()"
    auto_commit = True
