"""docs/examples/test_my_claim.py, the documented way to write your own claims, runs here."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "test_my_claim.py"


def test_the_documented_example_passes():
    """Every test function of the example file passes."""
    spec = importlib.util.spec_from_file_location("test_my_claim", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = [getattr(module, n) for n in dir(module) if n.startswith("test_")]
    assert len(tests) == 3
    for test in tests:
        test()
