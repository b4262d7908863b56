"""The scenario file format: defaults, canonical dump, digest, and one-line errors that name the
file, the field path and what is allowed (docs/scenarios.md)."""

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import run
from sim.scenario import (
    FAULT_KINDS,
    CommitErrorFault,
    CrashFault,
    ExponentialDist,
    JoinFault,
    ScenarioError,
    UniformDist,
    dump_scenario,
    load_scenario,
    parse_scenario,
)
from sim.strategies import REFERENCE_FORM, STRATEGY_NAMES

EVERY_FAULT = """
name = "every fault"
[group]
consumers = 2
[[faults]]
kind = "crash"
consumer = 0
at = "mid-batch"
batch = 3
after_records = 40
restart_after_ms = 5_000
[[faults]]
kind = "crash"
consumer = "random"
rate_per_min = 2.5
from_ms = 1_000
[[faults]]
kind = "processing-error"
consumer = 1
at_ms = 7_000
[[faults]]
kind = "join"
at_ms = 10_000
[[faults]]
kind = "leave"
consumer = 2
at_ms = 20_000
[[faults]]
kind = "commit-error"
error = "REBALANCE_IN_PROGRESS"
from_ms = 20_000
to_ms = 25_000
probability = 0.5
[[faults]]
kind = "lost-response"
consumer = 1
[[faults]]
kind = "rolling-restart"
at_ms = 25_000
interval_ms = 1_000
consumers = [1, 0]
[[faults]]
kind = "coordinator-failover"
at_ms = 28_000
"""


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def error(tmp_path, text):
    """The one-line message for a scenario file holding `text`."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, 'name = "t"\n' + text))
    return str(caught.value).replace(str(tmp_path / "s.toml"), "s.toml")


# --- defaults ---------------------------------------------------------------------------------


def test_a_name_is_all_a_scenario_needs():
    """Every other field has the documented default."""
    s = parse_scenario({"name": "x"})
    assert (s.version, s.description, s.faults) == (1, "", ())
    assert (s.run.duration_ms, s.run.drain, s.run.seed, s.run.max_drain_ms) == (
        60_000,
        True,
        1,
        600_000,
    )
    assert (s.topic.partitions, s.topic.initial_records, s.topic.produce_rate_per_s) == (
        6,
        1_000,
        0.0,
    )
    assert (
        s.broker.initial_rebalance_delay_ms,
        s.broker.min_session_timeout_ms,
        s.broker.max_session_timeout_ms,
        s.broker.request_timeout_ms,
    ) == (3_000, 6_000, 1_800_000, 30_000)
    g = s.group
    assert (
        g.consumers,
        g.protocol,
        g.assignor,
        g.session_timeout_ms,
        g.heartbeat_interval_ms,
        g.max_poll_interval_ms,
        g.static_membership,
    ) == (3, "eager", "range", 45_000, 3_000, 300_000, False)
    c = s.consumer
    assert (
        c.client,
        c.max_poll_records,
        c.processing,
        c.poll_timeout_ms,
        c.retry_backoff_ms,
        c.default_api_timeout_ms,
    ) == ("java", 500, "sync", 100, 100, 60_000)
    assert c.processing_ms == ExponentialDist(mean=2.0)
    assert (s.strategy.name, s.strategy.auto_commit_interval_ms, s.strategy.on_commit_error) == (
        "sync-per-batch",
        5_000,
        None,
    )
    assert s.sink.kind == "plain"
    assert s.network.latency_ms == UniformDist(low=0.5, high=2.0)


def test_auto_offset_reset_defaults_to_earliest_not_kafkas_latest():
    """The one deliberate departure from Java's defaults: latest would skip the t=0 records."""
    assert parse_scenario({"name": "x"}).group.auto_offset_reset == "earliest"


def test_loop_point_counters_default_to_one_only_where_they_apply():
    """batch defaults to 1 with `at`; after_records to 1 only mid-batch; neither with at_ms."""
    faults = parse_scenario(
        {
            "name": "x",
            "faults": [
                {"kind": "crash", "consumer": 0, "at": "mid-batch"},
                {"kind": "crash", "consumer": 0, "at": "before-commit"},
                {"kind": "crash", "consumer": 0, "at_ms": 5},
            ],
        }
    ).faults
    assert [(f.batch, f.after_records) for f in faults] == [(1, 1), (1, None), (None, None)]


def test_an_omitted_window_end_is_the_end_of_the_run():
    """to_ms of commit-error, lost-response and crash streams defaults to run.duration_ms."""
    s = parse_scenario({**tomllib.loads(EVERY_FAULT), "run": {"duration_ms": 30_000}})
    windows = {(f.kind, getattr(f, "from_ms", None), getattr(f, "to_ms", None)) for f in s.faults}
    assert ("crash", 1_000, 30_000) in windows
    assert ("commit-error", 20_000, 25_000) in windows
    assert ("lost-response", 0, 30_000) in windows
    assert s.faults[0].to_ms is None  # a crash at a loop point has no window


def test_the_fault_kinds_are_the_catalogue_so_far():
    """FAULT_KINDS lists every kind a file may name, in declaration order."""
    assert FAULT_KINDS == (
        "crash",
        "processing-error",
        "join",
        "leave",
        "rolling-restart",
        "coordinator-failover",
        "txn-coordinator-failover",
        "commit-error",
        "coordinator-outage",
        "lost-response",
        "stall",
        "pause",
        "network-cut",
    )


# --- dump, replace, digest --------------------------------------------------------------------


def test_dump_then_load_gives_the_same_scenario(tmp_path):
    """The canonical dump replays exactly: every fault kind, distributions, optional fields."""
    s = parse_scenario(tomllib.loads(EVERY_FAULT)).replace(
        consumer={"processing_ms": {"dist": "lognormal", "mean": 3.0, "sigma": 0.7}},
        strategy={"name": "auto", "on_commit_error": "seek-back"},
    )
    assert load_scenario(write(tmp_path, dump_scenario(s))) == s


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(min_size=1),
    description=st.text(),
    mean=st.floats(min_value=1e-9, max_value=86_400_000),  # a day: the limit of a mean
    rate=st.floats(min_value=0, max_value=1e5),  # within 10,000,000 records in 60 s
)
def test_dump_round_trips_any_text_and_any_float(name, description, mean, rate):
    """Quotes, backslashes, control characters and unicode survive; floats keep every bit."""
    s = parse_scenario(
        {
            "name": name,
            "description": description,
            "topic": {"produce_rate_per_s": rate},
            "consumer": {"processing_ms": {"dist": "constant", "mean": mean}},
        }
    )
    assert parse_scenario(tomllib.loads(dump_scenario(s))) == s


def test_dump_states_every_field_and_omits_unset_optionals():
    """A counterexample file must not depend on today's defaults; TOML has no null."""
    text = dump_scenario(parse_scenario({"name": "x"}))
    assert "heartbeat_interval_ms = 3000" in text
    assert 'processing_ms = { dist = "exponential", mean = 2.0 }' in text
    assert "on_commit_error" not in text


def test_replace_merges_a_table_and_validates_again():
    """replace(run={...}) keeps the table's other keys; a bad value is a ScenarioError."""
    s = parse_scenario({"name": "x", "run": {"duration_ms": 9_000}})
    assert s.with_seed(7).run.seed == 7 and s.with_seed(7).run.duration_ms == 9_000
    assert s.with_strategy("auto").strategy.name == "auto"
    assert s.with_faults([JoinFault(at_ms=5)]).faults == (JoinFault(at_ms=5),)
    with pytest.raises(ScenarioError, match=r"<replace>: strategy.name: \"nope\" is not allowed"):
        s.with_strategy("nope")
    assert s.run.seed == 1


def test_fault_instances_get_the_same_window_defaults_as_file_faults():
    """A fault built in Python and the same fault read from a file give equal scenarios."""
    s = parse_scenario({"name": "x"})
    built = s.with_faults([CommitErrorFault(error="NOT_COORDINATOR")])
    read = s.with_faults([{"kind": "commit-error", "error": "NOT_COORDINATOR"}])
    assert built == read and built.faults[0].to_ms == 60_000


def test_scenarios_are_frozen():
    """A Scenario is a value: the engine and a result store may share it."""
    s = parse_scenario({"name": "x"})
    with pytest.raises(ValueError):
        s.run.seed = 2  # type: ignore[misc]
    assert hash(s) == hash(parse_scenario({"name": "x"}))


def test_digest_ignores_how_the_file_was_written():
    """Defaults omitted or stated, the same scenario has the same sha256."""
    terse = parse_scenario(
        {"name": "x", "faults": [{"kind": "crash", "consumer": 0, "rate_per_min": 1.0}]}
    )
    verbose = parse_scenario(tomllib.loads(dump_scenario(terse)))
    assert terse.digest() == verbose.digest()
    assert len(terse.digest()) == 64 and int(terse.digest(), 16) >= 0


def test_digest_changes_when_any_field_changes():
    """The seed, a nested default and a fault each change the digest."""
    s = parse_scenario({"name": "x"})
    changed = [
        s.with_seed(2),
        s.replace(group={"assignor": "roundrobin"}),
        s.with_faults([JoinFault(at_ms=1)]),
    ]
    digests = {s.digest(), *(other.digest() for other in changed)}
    assert len(digests) == 4


# --- errors: one line, file, field path, what is allowed --------------------------------------


def test_unknown_top_level_field(tmp_path):
    """A typo lists the fields that exist."""
    assert error(tmp_path, "seed = 3") == (
        "s.toml: seed: unknown field; allowed: version, name, description, run, topic, broker, "
        "group, consumer, strategy, sink, network, faults, conformance, transactions"
    )


def test_unknown_field_in_a_table(tmp_path):
    """A nested typo names the table in the path and lists that table's fields."""
    assert error(tmp_path, "[run]\nduration = 5") == (
        "s.toml: run.duration: unknown field; allowed: duration_ms, drain, seed, max_drain_ms, "
        "max_steps"
    )


def test_unknown_field_in_a_fault_lists_that_kinds_fields(tmp_path):
    """The path has the list index and no pydantic tag (faults[0].x, not faults.0.join.x)."""
    assert error(tmp_path, '[[faults]]\nkind = "join"\nat_ms = 5\nconsumer = 0') == (
        "s.toml: faults[0].consumer: unknown field; allowed: kind, at_ms"
    )


def test_bad_enum_lists_the_literal_values(tmp_path):
    """Allowed values are quoted as TOML writes them."""
    assert error(tmp_path, '[group]\nauto_offset_reset = "smallest"') == (
        's.toml: group.auto_offset_reset: "smallest" is not allowed; '
        'allowed: "earliest", "latest", "none"'
    )


def test_not_yet_modelled_choices_are_refused(tmp_path):
    """What the model does not cover is refused, naming what it does."""
    assert error(tmp_path, '[consumer]\nclient = "kafka-python"').endswith(
        'allowed: "java", "librdkafka", "java-new-prefix"'
    )
    assert error(tmp_path, '[consumer]\nprocessing = "threads"').endswith(
        'allowed: "sync", "async"'
    )
    assert error(tmp_path, '[group]\nprotocol = "classic"').endswith(
        'allowed: "eager", "cooperative", "consumer"'
    )
    librdkafka_cooperative = (
        '[group]\nprotocol = "cooperative"\nassignor = "cooperative-sticky"\n'
        '[consumer]\nclient = "librdkafka"'
    )
    assert error(tmp_path, librdkafka_cooperative) == (
        's.toml: group.protocol: the "librdkafka" client is modelled with the eager and '
        'consumer protocols only; allowed: "eager", "consumer"'
    )


def test_the_assignor_must_give_the_protocol(tmp_path):
    """The Java client takes the highest protocol its assignors support: only
    cooperative-sticky supports COOPERATIVE, so each protocol has its own assignors."""
    cooperative = '[group]\nprotocol = "cooperative"\nassignor = "range"'
    assert error(tmp_path, cooperative) == (
        's.toml: group.assignor: "range" does not give the cooperative protocol; '
        'allowed: "cooperative-sticky"'
    )
    eager = '[group]\nassignor = "cooperative-sticky"'
    assert error(tmp_path, eager) == (
        's.toml: group.assignor: "cooperative-sticky" does not give the eager protocol; '
        'allowed: "range", "roundrobin", "sticky"'
    )
    fine = {"name": "s", "group": {"protocol": "cooperative", "assignor": "cooperative-sticky"}}
    assert parse_scenario(fine).group.assignor == "cooperative-sticky"
    static = {"name": "s", "group": {"static_membership": True}}
    assert parse_scenario(static).group.static_membership


def test_the_three_client_models_are_allowed(tmp_path):
    """consumer.client picks the Java classic, librdkafka or pre-KAFKA-18641 Java new client."""
    assert error(tmp_path, '[consumer]\nclient = "kafka-python"').endswith(
        'allowed: "java", "librdkafka", "java-new-prefix"'
    )


def test_strategy_names_come_from_the_strategies_package(tmp_path):
    """The allowed list is sim.strategies.STRATEGY_NAMES, never a copy of it, and an import
    path of one's own."""
    allowed = ", ".join(f'"{name}"' for name in STRATEGY_NAMES)
    assert error(tmp_path, '[strategy]\nname = "yolo"') == (
        f's.toml: strategy.name: "yolo" is not allowed; allowed: {allowed}, or {REFERENCE_FORM}'
    )


def test_a_strategy_of_ones_own_is_named_by_its_import_path(tmp_path):
    """package.module:Class is imported when the file is read: a class that is not there, or
    is not a Strategy, is a one-line error naming the field."""
    ok = parse_scenario({"strategy": {"name": "sim.strategies.auto:Auto"}})
    assert ok.strategy.name == "sim.strategies.auto:Auto"
    assert "strategy.name: cannot import 'no_such_module:Mine'" in error(
        tmp_path, '[strategy]\nname = "no_such_module:Mine"'
    )
    assert "strategy.name: sim.strategies has no Nope;" in error(
        tmp_path, '[strategy]\nname = "sim.strategies:Nope"'
    )
    assert "is not a subclass of sim.strategies.Strategy" in error(
        tmp_path, '[strategy]\nname = "sim.strategies:make_strategy"'
    )


def test_out_of_range_number_gives_the_range(tmp_path):
    """Bounds read as an interval: brackets inclusive, parentheses exclusive."""
    assert error(tmp_path, "[topic]\npartitions = 0") == (
        "s.toml: topic.partitions: 0 is out of range; allowed: an integer in [1, 10000]"
    )
    assert error(
        tmp_path, '[[faults]]\nkind = "commit-error"\nerror = "NOT_COORDINATOR"\nprobability = 1.5'
    ) == ("s.toml: faults[0].probability: 1.5 is out of range; allowed: a number in (0, 1]")


def test_types_are_strict(tmp_path):
    """6.0 and "6" are not 6, true is not 1: a file means what it says."""
    assert error(tmp_path, "[topic]\npartitions = 6.0") == (
        "s.toml: topic.partitions: 6.0 is not an integer; allowed: an integer in [1, 10000]"
    )
    assert error(tmp_path, '[run]\nseed = "7"') == (
        's.toml: run.seed: "7" is not an integer; allowed: an integer in [0, 9223372036854775807]'
    )
    assert error(tmp_path, "version = true") == "s.toml: version: true is not supported; allowed: 1"


def test_non_finite_floats_are_refused(tmp_path):
    """TOML can spell inf and nan; no rate or time may be one."""
    assert error(tmp_path, "[topic]\nproduce_rate_per_s = inf") == (
        "s.toml: topic.produce_rate_per_s: inf is not a finite number; allowed: a number in "
        "[0, 10000000]"
    )


def test_a_file_without_a_name_is_named_after_its_stem(tmp_path):
    """name defaults to the file's stem, as every other field has a default."""
    assert load_scenario(write(tmp_path, "[run]\nseed = 2", "our-consumer.toml")).name == (
        "our-consumer"
    )
    assert parse_scenario({}).name == "scenario"


def test_heartbeat_must_be_below_session_timeout(tmp_path):
    """As the Java client refuses heartbeat.interval.ms >= session.timeout.ms."""
    group = "[group]\nsession_timeout_ms = 10_000\nheartbeat_interval_ms = 10_000"
    assert error(tmp_path, group) == (
        "s.toml: group.heartbeat_interval_ms: 10000 is not below group.session_timeout_ms (10000); "
        "allowed: an integer in [1, 9999]"
    )


def test_session_timeout_must_be_within_the_brokers_bounds(tmp_path):
    """As the broker refuses the JoinGroup with INVALID_SESSION_TIMEOUT; both settings named."""
    expected = (
        "s.toml: group.session_timeout_ms: {} is outside "
        "broker.min_session_timeout_ms..max_session_timeout_ms; "
        "allowed: an integer in [6000, 60000]"
    )
    bounds = "[broker]\nmax_session_timeout_ms = 60_000\n"
    assert error(
        tmp_path, bounds + "[group]\nsession_timeout_ms = 5_000\nheartbeat_interval_ms = 1_000"
    ) == expected.format(5000)
    assert error(tmp_path, bounds + "[group]\nsession_timeout_ms = 70_000") == expected.format(
        70000
    )


def test_unknown_and_missing_fault_kind(tmp_path):
    """The tag error is reported at faults[i].kind with the kind catalogue."""
    kinds = ", ".join(f'"{k}"' for k in FAULT_KINDS)
    assert error(tmp_path, '[[faults]]\nkind = "meteor"') == (
        f's.toml: faults[0].kind: "meteor" is unknown; allowed: {kinds}'
    )
    assert error(tmp_path, "[[faults]]\nat_ms = 1") == (
        f"s.toml: faults[0].kind: missing; allowed: {kinds}"
    )


def test_a_crash_needs_exactly_one_timing(tmp_path):
    """None, or two of at_ms / at / rate_per_min, is an error naming the extra one."""
    crash = '[[faults]]\nkind = "crash"\nconsumer = 0\n'
    assert error(tmp_path, crash) == (
        "s.toml: faults[0]: a crash fault needs a timing; "
        "allowed: exactly one of at_ms, at, rate_per_min"
    )
    assert error(tmp_path, crash + "at_ms = 5\nrate_per_min = 1.0") == (
        "s.toml: faults[0].rate_per_min: at_ms is also set; "
        "allowed: exactly one of at_ms, at, rate_per_min"
    )


def test_loop_point_fields_only_with_a_loop_point(tmp_path):
    """batch needs at, after_records needs mid-batch, from_ms needs rate_per_min."""
    crash = '[[faults]]\nkind = "crash"\nconsumer = 0\n'
    assert error(tmp_path, crash + "at_ms = 5\nbatch = 2") == (
        "s.toml: faults[0].batch: batch counts poll batches for a loop point, and at is not set; "
        "allowed: batch only together with at"
    )
    assert error(tmp_path, crash + 'at = "after-process"\nafter_records = 3') == (
        "s.toml: faults[0].after_records: after_records counts records within a batch; "
        'allowed: after_records only with at = "mid-batch"'
    )
    assert error(tmp_path, crash + "at_ms = 5\nfrom_ms = 2") == (
        "s.toml: faults[0].from_ms: from_ms bounds a stream of crashes, and rate_per_min is not "
        "set; allowed: from_ms only with rate_per_min"
    )


def test_a_processing_error_happens_mid_batch(tmp_path):
    """A poison record is met while processing: mid-batch is its only loop point."""
    assert error(
        tmp_path, '[[faults]]\nkind = "processing-error"\nconsumer = 0\nat = "before-commit"'
    ) == ('s.toml: faults[0].at: "before-commit" is not allowed; allowed: "mid-batch"')


def test_consumer_index_counts_initial_members_and_joins(tmp_path):
    """Index 3 exists once a consumer has joined; 4 does not."""
    faults = '[[faults]]\nkind = "join"\nat_ms = 1\n[[faults]]\nkind = "crash"\nat_ms = 2\n'
    load_scenario(write(tmp_path, 'name = "t"\n' + faults + "consumer = 3", name="ok.toml"))
    assert error(tmp_path, faults + "consumer = 4") == (
        "s.toml: faults[1].consumer: there is no consumer 4 (group.consumers = 3, plus 1 joined); "
        'allowed: an integer in [0, 3], or "random"'
    )


def test_random_consumer_only_where_a_fault_can_draw_one(tmp_path):
    """crash and processing-error may say "random"; leave names its consumer."""
    assert error(tmp_path, '[[faults]]\nkind = "leave"\nconsumer = "random"\nat_ms = 1') == (
        's.toml: faults[0].consumer: "random" is not an integer; allowed: an integer >= 0'
    )
    assert error(tmp_path, '[[faults]]\nkind = "crash"\nconsumer = "any"\nat_ms = 1') == (
        's.toml: faults[0].consumer: "any" is not a consumer; allowed: an integer >= 0, or "random"'
    )


def test_faults_happen_inside_the_run_window(tmp_path):
    """Times past run.duration_ms, and windows that end before they start, are errors."""
    window = '[[faults]]\nkind = "commit-error"\nerror = "ILLEGAL_GENERATION"\n'
    assert error(tmp_path, window + "to_ms = 60_001") == (
        "s.toml: faults[0].to_ms: 60001 is after the end of the run (run.duration_ms); "
        "allowed: an integer in [0, 60000]"
    )
    assert error(tmp_path, window + "from_ms = 9\nto_ms = 8") == (
        "s.toml: faults[0].from_ms: 9 is after to_ms (8); allowed: an integer in [0, 8]"
    )


def test_a_rolling_restart_closes_its_last_consumer_inside_the_run(tmp_path):
    """The last close (at_ms + (n-1) * interval_ms) must fall in the run; consumers exist."""
    rolling = '[[faults]]\nkind = "rolling-restart"\nat_ms = 40_000\n'
    assert error(tmp_path, rolling + "interval_ms = 15_000") == (
        "s.toml: faults[0].interval_ms: the last consumer would close at 70000 ms, after the end "
        "of the run (run.duration_ms = 60000); allowed: at_ms + (consumers - 1) * interval_ms "
        "<= 60000"
    )
    assert error(tmp_path, rolling + "consumers = [0, 3]") == (
        "s.toml: faults[0].consumers[1]: there is no consumer 3; allowed: integers in [0, 2]"
    )


def test_distribution_errors_name_the_distribution_field(tmp_path):
    """A bad dist tag and uniform's high < low point into the inline table."""
    assert error(tmp_path, '[network]\nlatency_ms = { dist = "normal", mean = 1.0 }') == (
        's.toml: network.latency_ms.dist: "normal" is unknown; '
        'allowed: "constant", "uniform", "exponential", "lognormal"'
    )
    assert (
        error(tmp_path, '[network]\nlatency_ms = { dist = "uniform", low = 2.0, high = 1.0 }')
        == "s.toml: network.latency_ms.high: 1.0 is below low (2.0); allowed: a number >= 2.0"
    )


def test_every_problem_is_kept_and_each_is_one_line(tmp_path):
    """str(e) is the first problem; e.lines has them all, for a CLI that shows every one."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, 'name = "t"\n[run]\nseed = -1\n[topic]\npartitions = 0'))
    assert [line.split(": ")[1] for line in caught.value.lines] == ["run.seed", "topic.partitions"]
    assert all("\n" not in line for line in caught.value.lines)


def test_no_pydantic_traceback_is_chained(tmp_path):
    """The user sees our message, not pydantic's internals."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario({"name": 1})
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_invalid_toml_names_the_file(tmp_path):
    """tomllib's message, with its line and column, after the file name."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, 'name = "t"\n[run\n'))
    assert str(caught.value).startswith(f"{tmp_path / 's.toml'}: not valid TOML: ")
    assert "line 2" in str(caught.value)


def test_a_file_that_is_not_utf8(tmp_path):
    """TOML is UTF-8; other bytes are a TOML error, not a UnicodeDecodeError."""
    path = tmp_path / "s.toml"
    path.write_bytes(b'name = "\xff"\n')
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(path)


def test_missing_file(tmp_path):
    """A wrong path says so plainly, and what else is allowed."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "nope.toml")
    assert str(caught.value) == (
        f"{tmp_path / 'nope.toml'}: no such scenario file; allowed: a path, or the name of a "
        "shipped scenario (offsim scenarios lists them)"
    )


def test_a_shipped_scenario_is_found_by_name_from_any_folder(tmp_path, monkeypatch):
    """load_scenario takes a bare name, as the command line does, wherever it runs; a missing
    path whose stem is a shipped name says which name to use."""
    monkeypatch.chdir(tmp_path)
    assert load_scenario("crash-mid-batch").name == "crash-mid-batch"
    assert load_scenario("commit-interval-base").name == "commit-interval-base"
    with pytest.raises(ScenarioError, match="a shipped name such as 'crash-mid-batch'"):
        load_scenario("scenarios/crash-mid-batch.toml")


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    """Checks that need several fields report each problem they find, not the first only."""
    text = """
[group]
consumers = 2
session_timeout_ms = 10_000
heartbeat_interval_ms = 10_000
assignor = "cooperative-sticky"
[[faults]]
kind = "crash"
consumer = 5
at_ms = 90_000
[[faults]]
kind = "leave"
consumer = 7
at_ms = 1_000
"""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, text))
    fields = [line.split(": ")[1] for line in caught.value.lines]
    assert fields == [
        "group.heartbeat_interval_ms",
        "group.assignor",
        "faults[0].consumer",
        "faults[0].at_ms",
        "faults[1].consumer",
    ]


def test_a_directory_is_not_a_scenario(tmp_path):
    """Other OS errors become ScenarioError too."""
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load_scenario(tmp_path)


def test_crash_fault_can_be_built_in_python():
    """Strategies and searches build faults directly; the same rules apply."""
    assert CrashFault(consumer=1, at="mid-batch").after_records == 1
    with pytest.raises(ValueError):
        CrashFault(consumer=1)


@pytest.mark.parametrize("kind", ["stall", "pause", "network-cut"])
def test_a_stall_pause_or_cut_needs_a_consumer_a_time_and_a_positive_duration(tmp_path, kind):
    """duration_ms is required and positive; the consumer may be "random"."""
    fault = f'[[faults]]\nkind = "{kind}"\nat_ms = 5\n'
    assert error(tmp_path, fault + "consumer = 0") == (
        "s.toml: faults[0].duration_ms: missing; allowed: an integer > 0"
    )
    assert error(tmp_path, fault + "consumer = 0\nduration_ms = 0") == (
        "s.toml: faults[0].duration_ms: 0 is out of range; allowed: an integer > 0"
    )
    assert error(tmp_path, fault + "consumer = 3\nduration_ms = 1") == (
        "s.toml: faults[0].consumer: there is no consumer 3 (group.consumers = 3, plus 0 "
        'joined); allowed: an integer in [0, 2], or "random"'
    )


def test_async_processing_refuses_the_faults_inside_synchronous_processing(tmp_path):
    """A poison record and a mid-batch crash are points of synchronous processing: with a worker
    thread they are refused, in one line naming the fault."""
    head = '[consumer]\nprocessing = "async"\n[[faults]]\nconsumer = 0\n'
    assert error(tmp_path, head + 'kind = "processing-error"\nat_ms = 5') == (
        "s.toml: faults[0].kind: a poison record is met inside the poll loop, and "
        'consumer.processing = "async"; allowed: processing-error faults only with '
        'consumer.processing = "sync"'
    )
    assert error(tmp_path, head + 'kind = "crash"\nat = "mid-batch"').endswith(
        'allowed: at = "mid-batch" only with consumer.processing = "sync"'
    )
    assert error(tmp_path, "[consumer]\nworker_queue_records = 0") == (
        "s.toml: consumer.worker_queue_records: 0 is out of range; allowed: an integer >= 1"
    )


# --- conformance additions: nth commit, owner_of, coordinator-outage, [conformance] ------------


def test_commit_error_nth_refuses_a_window_setting(tmp_path):
    """nth picks requests by count; a window field beside it is named, with both choices."""
    text = '[[faults]]\nkind = "commit-error"\nerror = "NOT_COORDINATOR"\nnth = 2\nto_ms = 5\n'
    assert error(tmp_path, text) == (
        "s.toml: faults[0].to_ms: to_ms is a window setting, and nth picks requests by count; "
        "allowed: either nth (and times) or a window (from_ms, to_ms, probability)"
    )


def test_a_commit_error_by_count_dumps_without_the_window_it_does_not_use():
    """A replay file of an nth commit error reads as a count: no from_ms or probability beside
    nth (their defaults, not in force), and it loads back to the same scenario."""
    s = load_scenario("crash-mid-batch").with_faults(
        [{"kind": "commit-error", "error": "NOT_COORDINATOR", "nth": 3, "times": 2}]
    )
    fault = dump_scenario(s).split("[[faults]]")[1]
    assert "nth = 3" in fault and "times = 2" in fault
    assert "from_ms" not in fault and "probability" not in fault and "to_ms" not in fault
    assert parse_scenario(tomllib.loads(dump_scenario(s))) == s
    window = s.with_faults([{"kind": "commit-error", "error": "NOT_COORDINATOR", "to_ms": 9}])
    assert "from_ms = 0" in dump_scenario(window).split("[[faults]]")[1]


def test_a_point_fault_needs_exactly_one_target(tmp_path):
    """consumer and owner_of together, or neither, is refused."""
    both = '[[faults]]\nkind = "crash"\nconsumer = 0\nowner_of = 1\nat_ms = 5\n'
    assert error(tmp_path, both) == (
        "s.toml: faults[0].owner_of: a crash fault needs one target; "
        "allowed: exactly one of consumer, owner_of"
    )
    neither = '[[faults]]\nkind = "crash"\nat_ms = 5\n'
    assert "exactly one of consumer, owner_of" in error(tmp_path, neither)


def test_owner_of_names_an_existing_partition(tmp_path):
    """A partition beyond topic.partitions is refused with the allowed range."""
    text = '[topic]\npartitions = 2\n[[faults]]\nkind = "crash"\nowner_of = 2\nat_ms = 5\n'
    assert error(tmp_path, text) == (
        "s.toml: faults[0].owner_of: there is no partition 2 (topic.partitions = 2); "
        "allowed: an integer in [0, 1]"
    )


def test_the_conformance_table_is_validated_and_changes_no_run(tmp_path):
    """[conformance] is read (a bad value is refused) and leaves the model's run as it was."""
    assert "conformance.model_seeds" in error(tmp_path, "[conformance]\nmodel_seeds = 0\n")
    plain = parse_scenario({"name": "x"})
    marked = parse_scenario({"name": "x", "conformance": {"model_seeds": 5}})
    assert marked.conformance.model_seeds == 5 and plain.conformance is None
    assert run(plain).ledger.trace_digest == run(marked).ledger.trace_digest
