"""Same scenario and seed: the same trace digest in any process, whatever PYTHONHASHSEED."""

import json


def digest(cli, *args, hashseed="0"):
    proc = cli("run", "production-like", "--json", *args, env={"PYTHONHASHSEED": hashseed})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["trace_digest"]


def test_same_seed_same_digest_across_processes_and_hash_seeds(cli):
    assert digest(cli, "--seed", "3", hashseed="1") == digest(cli, "--seed", "3", hashseed="987")


def test_different_seeds_give_different_digests(cli):
    assert digest(cli, "--seed", "3") != digest(cli, "--seed", "4")
