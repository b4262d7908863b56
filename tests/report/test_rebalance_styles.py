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
