"""Browser fixtures: the dashboard on a free loopback port, headless Chromium, a page
that counts script runs. The machinery lives in harness/browser.py (benches share it);
its helpers are re-exported here for the tests that import them from this file.

A missing Chromium is an error, not a skip (`make chromium` installs it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.browser import (  # noqa: F401
    ROOT,
    SCRIPT_TIMEOUT_MS,
    launch_chromium,
    new_context,
    run_mark,
    serve,
    wait_for_run,
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    """Every test in this folder drives Chromium: `-m "not browser"` leaves them all out."""
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def dashboard_url() -> Iterator[str]:
    """Base URL (no trailing slash) of the dashboard, started once per test session."""
    with serve("streamlit_app.py") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            b = launch_chromium(p)
        except FileNotFoundError as e:
            pytest.fail(str(e))
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A fresh page (own context: no shared session or cache) that counts script runs."""
    context = new_context(browser)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def open_app(page, dashboard_url) -> Callable[[str], object]:
    """open_app("/multi_head?heads=2") -> page: open a dashboard link, wait for the script."""
    def _open(path: str):
        page.goto(dashboard_url + path, wait_until="domcontentloaded")
        wait_for_run(page)
        return page
    return _open
