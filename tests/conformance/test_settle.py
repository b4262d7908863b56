"""When a real run counts as settled, without a broker: every partition at its log end, and no
commit of a worker still waiting for its result."""

import json

from sim.conformance.real import RealRun, _Slot


def _run(tmp_path, status: dict) -> RealRun:
    run = RealRun(scenario=None, backend=None, folder=tmp_path)
    run.slots = [_Slot(process=object())]
    (tmp_path / "status-0").write_text(json.dumps(status))
    return run


def test_a_run_with_a_commit_still_waiting_for_the_coordinator_is_not_settled(tmp_path):
    """async-per-batch-not-coordinator: the refused commit's retry and the next, deferred
    commit waited for a coordinator lookup that churned longer than the settle window, and the
    committed offset was read before either landed (10, where the client ended at 20). A worker
    that still waits for a commit's result holds the run open."""
    at_end = {"positions": {"0": 30}}
    assert _run(tmp_path, {**at_end, "pending": 0})._all_at_end([30], (10,))
    assert not _run(tmp_path, {**at_end, "pending": 2})._all_at_end([30], (10,))
    assert not _run(tmp_path, {"positions": {"0": 20}, "pending": 0})._all_at_end([30], (10,))
