"""The planted-bug harness of `tests/mutation.py`: a plant counts as caught only when its test
fails on an assertion; a plant that does not compile or import is reported broken, not caught.
Each plant copies the project and runs pytest in the copy (seconds): the syntax error runs by
default, the others with `-m deep`."""

import pytest

from tests.mutation import BROKEN, CAUGHT, JC, PLANTED, TJ, planted

TEST = f"{TJ}::test_fenced_instance_id_is_fatal_only_if_the_generation_is_unchanged"
RULE = "            if unchanged:\n                self.failed = True"


def test_a_planted_syntax_error_is_reported_as_a_broken_plant_not_caught():
    """The test fails (its module cannot import), but no assertion caught a broken rule."""
    plant = ("a syntax error", JC, RULE, RULE.replace("unchanged:", "unchanged"), TEST)
    assert planted((plant,)) == [("a syntax error", TEST, BROKEN)]


@pytest.mark.deep
def test_a_planted_import_error_is_reported_as_a_broken_plant_not_caught():
    """A module that compiles but fails to import: the test is never collected."""
    imports = "from ..commands import Call, CommitResult, Send, Wait\n"
    plant = ("an import error", JC, imports, imports + "from ..commands import Gone\n", TEST)
    assert planted((plant,)) == [("an import error", TEST, BROKEN)]


@pytest.mark.deep
def test_a_planted_rule_its_test_asserts_against_is_caught():
    """The shipped plant for FENCED_INSTANCE_ID: the named test fails on its assertion."""
    (plant,) = [p for p in PLANTED if p[-1] == TEST]
    assert planted((plant,)) == [(plant[0], TEST, CAUGHT)]
