"""The scenario file format (TOML, version 1): loading, validation, defaults.

The package owns the file format and nothing else: it never runs anything. `settings` holds
the tables, `faults` the `[[faults]]`, `document` the whole `Scenario` and its loading,
`base` the strict base model and the error wording, `toml_writer` the canonical dump,
`shipped` the scenarios that come with offsim.

A `Scenario` is everything a run depends on besides the code, and nothing else: a run is a pure
function of it. It is immutable and validated as a whole when built, so the engine never meets a
half-checked value. The rule this package keeps: a bad scenario is the user's fault, reported as a
`ScenarioError` whose message is one line naming the file, the field path and what is allowed,
never a pydantic traceback (docs/scenarios.md). Times are in milliseconds, as in the file.

"""

from sim.model.sink import (
    SINK_KEYS,
    SINK_KINDS,
)
from sim.scenario.commit_errors import COMMIT_ERROR_CODES
from sim.scenario.document import (
    Scenario,
    dump_scenario,
    load_scenario,
    parse_scenario,
    read_toml,
)
from sim.scenario.faults import (
    FAULT_KINDS,
    FAULT_TYPES,
    LOOP_POINTS,
    CommitErrorFault,
    ConsumerRef,
    CoordinatorFailoverFault,
    CrashFault,
    Fault,
    JoinFault,
    LeaveFault,
    LostResponseFault,
    ProcessingErrorFault,
    RollingRestartFault,
)
from sim.scenario.settings import (
    ASSIGNORS,
    CLASSIC_DEFAULTS,
    CLIENTS,
    COMMIT_ERROR_POLICIES,
    CONSUMER_PROTOCOL,
    MAX_SEED,
    OFFSET_RESETS,
    PROCESSING_MODES,
    PROTOCOL_ASSIGNORS,
    PROTOCOLS,
    BrokerSettings,
    ConstantDist,
    ConsumerSettings,
    Distribution,
    ExponentialDist,
    GroupSettings,
    LognormalDist,
    NetworkSettings,
    RunSettings,
    ScenarioError,
    SinkSettings,
    StrategySettings,
    TopicSettings,
    UniformDist,
)

__all__ = [
    "MAX_SEED",
    "PROTOCOL_ASSIGNORS",
    "read_toml",
    "ASSIGNORS",
    "CLIENTS",
    "COMMIT_ERROR_CODES",
    "COMMIT_ERROR_POLICIES",
    "FAULT_KINDS",
    "FAULT_TYPES",
    "LOOP_POINTS",
    "OFFSET_RESETS",
    "PROCESSING_MODES",
    "CLASSIC_DEFAULTS",
    "CONSUMER_PROTOCOL",
    "PROTOCOLS",
    "SINK_KEYS",
    "SINK_KINDS",
    "BrokerSettings",
    "CommitErrorFault",
    "ConstantDist",
    "ConsumerRef",
    "ConsumerSettings",
    "CoordinatorFailoverFault",
    "CrashFault",
    "Distribution",
    "ExponentialDist",
    "Fault",
    "GroupSettings",
    "JoinFault",
    "LeaveFault",
    "LognormalDist",
    "LostResponseFault",
    "NetworkSettings",
    "ProcessingErrorFault",
    "RollingRestartFault",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "SinkSettings",
    "StrategySettings",
    "TopicSettings",
    "UniformDist",
    "dump_scenario",
    "load_scenario",
    "parse_scenario",
]
