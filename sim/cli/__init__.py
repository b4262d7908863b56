"""The command line, and the only package that reads arguments, prints for a person or chooses
an exit code: each command parses and checks its arguments here, calls the pipeline below
(`sim.api`, `sim.sweep`, `sim.claims`, `sim.report`, `sim.conformance`) and says what came
out. Nothing below imports it."""

from sim.cli.main import main, parser

__all__ = ["main", "parser"]
