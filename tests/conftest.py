"""The order the default run hands test files to its workers (pytest-xdist `-n auto --dist
loadfile`: a file's tests stay on one worker, so its module and session fixtures are made once).

The longest files go first, each on a worker of its own while the short ones fill the other
cores: started last, one of them would be the last minutes of the run on a single core. The
order of the other files is collection order, unchanged.
"""

# Longest first: the fresh virtual environment and what runs in it, the catalogue's check, the
# committed comparison regenerated, the digest registry, the real clients on the mock cluster.
FIRST = (
    "tests/installed/",
    "tests/claims/test_check_command.py",
    "tests/report/test_report_command.py",
    "tests/test_digests.py",
    "tests/conformance/test_real_client.py",
)


def _rank(item) -> int:
    path = item.nodeid.split("::")[0]
    return next((i for i, first in enumerate(FIRST) if path.startswith(first)), len(FIRST))


def pytest_collection_modifyitems(items):
    items.sort(key=_rank)  # stable: within a rank, collection order
