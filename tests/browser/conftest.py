"""Headless Chromium for the page tests: found, or installed where that is possible.

The README's test command installs Playwright (the `test` extra); Chromium comes from Debian's
`chromium` package. When it is missing, this session fixture installs it once with apt-get if
the tests run as root on a machine with apt (CI does); set OFFSIM_NO_APT=1 to forbid that.
Elsewhere the browser tests are skipped, with a message saying what to install.
"""

import os
import shutil
import subprocess

import pytest

from sim.report.browser import Chromium, chromium


def _install_chromium() -> str:
    """apt-get install chromium, when allowed and possible; what happened, in words."""
    if os.environ.get("OFFSIM_NO_APT"):
        return "OFFSIM_NO_APT is set"
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return "not root with apt-get, so not installed automatically"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(step, capture_output=True, text=True, env=env, timeout=1200)
        if done.returncode != 0:
            return f"{' '.join(step)} failed: {done.stderr.strip()[-300:]}"
    return "installed"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; skip (saying why) unless Chromium and
    Playwright are both here."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("Playwright is not installed: pip install -e '.[test]'")
    if chromium() is None:
        why = _install_chromium()
        if chromium() is None:
            pytest.skip(f"headless Chromium is missing ({why}): apt-get install chromium")
    with Chromium() as started:
        yield started
