"""Summaries over seeds: an interval that respects the quantity, and the same for the same
values."""

import subprocess
import sys

from sim.sweep.stats import skewed, summarise


def test_a_count_that_is_zero_on_most_seeds_never_gets_an_interval_below_zero():
    """The t-interval of (0, 0, 0, 0, 1088) is 217.6 ±604: it runs to -387. The bootstrap
    interval is made of means of the values, so it stays within 0..1088."""
    cell = summarise([0, 0, 0, 0, 1088])
    assert cell["mean"] == 217.6
    assert 0 <= cell["low"] <= cell["mean"] <= cell["high"] <= 1088
    assert (cell["median"], cell["min"], cell["max"]) == (0, 0, 1088)


def test_equal_values_have_no_spread():
    assert summarise([0.1] * 5) == dict.fromkeys(
        ("mean", "low", "high", "median", "min", "max"), 0.1
    )


def test_the_same_values_in_any_order_give_the_same_interval():
    values = [504, 16_067, 2_310, 880, 1_200]
    assert summarise(values) == summarise(sorted(values)) == summarise(values[::-1])


def test_the_interval_is_the_same_in_another_process():
    """Keyed by the number of values, not drawn from a global or per-process generator."""
    code = "from sim.sweep.stats import summarise; print(summarise([504, 16067, 2310, 880, 1200]))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == str(summarise([504, 16_067, 2_310, 880, 1_200]))


def test_a_wider_spread_of_values_gives_a_wider_interval():
    narrow, wide = summarise([90, 100, 110]), summarise([10, 100, 190])
    assert wide["high"] - wide["low"] > narrow["high"] - narrow["low"] > 0


def test_values_spanning_an_order_of_magnitude_are_skewed():
    """504 to 16,067 over seeds: a mean says little, median and range say what happened."""
    assert skewed(summarise([504, 16_067, 900]))
    assert skewed(summarise([0, 0, 3]))
    assert not skewed(summarise([86_000, 91_000, 120_000]))
    assert not skewed(summarise([0, 0, 0]))
