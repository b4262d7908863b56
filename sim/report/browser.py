"""A page opened in a real browser: headless Chromium, driven by Playwright over its DevTools
protocol, for the tests and for `offsim report`'s screenshot.

Chromium is the system's (Debian's `chromium` package); Playwright's own browser download is
never used. Every request the page makes is recorded and, unless it is the page's own file (or
inline `data:`/`blob:` content), refused: a page that reaches for the network is caught, not
served. Console errors and uncaught exceptions are recorded too.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
)  # fmt: skip
LOCAL = ("file:", "data:", "blob:", "about:")


class NoBrowser(RuntimeError):
    """Chromium or Playwright is missing: the message says which, and how to get it."""


def chromium() -> str | None:
    """The system's Chromium, if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Visit:
    """What a page did while open: console errors, uncaught exceptions, outside requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL asked for, the page's own too

    @property
    def outside(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(LOCAL)]


class Chromium:
    """Headless Chromium with a fresh profile, started once and closed on exit; `open` shows
    one page at a time in it."""

    def __init__(self, width: int = 1400, height: int = 1000):
        self.size = {"width": width, "height": height}
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Chromium:
        executable = chromium()
        if executable is None:
            raise NoBrowser("no Chromium: install Debian's package (apt-get install chromium)")
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise NoBrowser("no Playwright: pip install playwright (its browser download is "
                            "not needed)") from None  # fmt: skip
        with self._stack as stack:
            driver = stack.enter_context(sync_playwright())
            profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="offsim-chromium-"))
            self.context = driver.chromium.launch_persistent_context(
                profile, executable_path=executable, headless=True, args=list(FLAGS),
                viewport=self.size,
            )  # fmt: skip
            stack.callback(self.context.close)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    @contextlib.contextmanager
    def open(self, path):
        """Load `path`; yield (Playwright page, Visit) once Plotly has drawn."""
        visit = Visit()

        def route(r):
            visit.requests.append(r.request.url)
            if r.request.url.startswith(LOCAL):
                r.continue_()
            else:
                r.abort()

        page = self.context.new_page()
        try:
            page.on("console", lambda m: m.type == "error" and visit.console_errors.append(m.text))
            page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
            page.route("**/*", route)
            page.goto(Path(path).resolve().as_uri(), wait_until="load")
            page.wait_for_selector(".plotly .main-svg", timeout=30_000)
            yield page, visit
        finally:
            page.close()


def screenshot(path, out, width: int = 1400, height: int = 1000) -> Visit:
    """Open the page in a fresh Chromium and save a PNG of its first screen to `out`."""
    with Chromium(width, height) as browser, browser.open(path) as (page, visit):
        page.screenshot(path=str(out))
    return visit
