"""The rebalance styles' comparison (reports/rebalance-styles.md): each style changes the group
table only, and the numbers say what each style is known to do (docs/metrics.md)."""

from sim.report.styles import STYLES, in_style, style_rows
from sim.scenario import load_scenario


def test_a_style_changes_the_group_table_and_nothing_else():
    """Same seeds, same everything but [group]: the comparison is of the styles alone."""
    base = load_scenario("styles/crash-restart")
    for style in STYLES:
        changed = in_style(base, style)
        assert changed.group.protocol == style
        assert changed.replace(group=base.group) == base


def _cell(rows, style, key):
    (row,) = [r for r in rows if r["style"] == style]
    return row[key]


def test_a_crashed_member_stalls_an_eager_group_and_not_a_cooperative_one():
    """The ghost member: its replacement's join starts a rebalance that waits for the crashed
    member's session (45 s). Eager: every member has revoked everything meanwhile, the whole
    group stands still for most of it. Cooperative: the others keep their partitions, only the
    crashed member's two wait; nothing stands still."""
    rows = style_rows("styles/crash-restart", seeds=2)
    eager_stall = _cell(rows, "eager", "group_stall_ms")
    assert eager_stall["min"] > 30_000
    assert _cell(rows, "cooperative", "group_stall_ms")["max"] == 0
    two_partitions_down = 2 * 40_000
    assert _cell(rows, "cooperative", "rebalance_downtime_ms")["min"] > two_partitions_down
    assert (
        _cell(rows, "eager", "rebalance_downtime_ms")["min"]
        > _cell(rows, "cooperative", "rebalance_downtime_ms")["max"]
    )


def test_a_consumer_group_forms_one_member_at_a_time_and_never_stands_still():
    """KIP-848 has no join barrier: the first member's heartbeat gets every partition, and the
    partitions that move to later members wait for their next heartbeat, so even a run without
    faults has partition-time without an owner (the classic join has none); but no crash makes
    the whole group stand still, as the eager ghost does."""
    steady = style_rows("styles/steady", seeds=1)
    assert _cell(steady, "eager", "rebalance_downtime_ms")["max"] == 0
    assert _cell(steady, "consumer", "rebalance_downtime_ms")["min"] > 0
    crash = style_rows("styles/crash-restart", seeds=1)
    assert _cell(crash, "consumer", "group_stall_ms")["max"] == 0
    assert _cell(crash, "eager", "group_stall_ms")["min"] > 30_000
