"""Same scenario and seed: the same trace digest in any process, whatever PYTHONHASHSEED."""

import json

from .conftest import offsim_process


def digest(*args, hashseed="0"):
    """The trace digest a fresh process prints, under its own PYTHONHASHSEED."""
    proc = offsim_process(
        "run", "production-like", "--json", *args, env={"PYTHONHASHSEED": hashseed}
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["trace_digest"]


def test_same_seed_same_digest_across_processes_and_hash_seeds():
    assert digest("--seed", "3", hashseed="1") == digest("--seed", "3", hashseed="987")


def test_different_seeds_give_different_digests(cli):
    """In this process: what differs is the seed alone."""
    seed_3, seed_4 = (cli("run", "production-like", "--json", "--seed", s) for s in "34")
    assert json.loads(seed_3.stdout)["trace_digest"] != json.loads(seed_4.stdout)["trace_digest"]
