"""Browser tests: Debian's Chromium driven by Playwright against the production server command.

The server is gunicorn + uvicorn workers (``tests.quality.live_server``) on the test database, so what the browser
sees is what a deployment serves (static files included), not the development server's conveniences. Playwright
never downloads a browser here: it launches the system ``chromium`` binary.

Screenshots: ``SCREENSHOTS=1 pytest tests/browser`` saves one PNG per ``screenshot(page, name)`` call under
``bench/results/screens/``; without it the call does nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.quality.live_server import LiveServer, live_server
from tests.support import ROOT

SCREENS = ROOT / "bench" / "results" / "screens"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is not installed: `make test` installs Debian's `chromium` package when missing.")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module. Playwright's sync API keeps an event loop open on the test's thread while it
    runs, so it is closed with the module (a session-wide one would break the async tests that run later), and
    only meanwhile are the tests' own ORM calls on that thread allowed (``DJANGO_ALLOW_ASYNC_UNSAFE``)."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            try:
                yield instance
            finally:
                instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_server(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[LiveServer]:
    """One production-configured server for the whole browser session (media under a temporary folder)."""
    media = tmp_path_factory.mktemp("browser-media")
    with django_db_blocker.unblock(), live_server(env={"MEDIA_ROOT": str(media)}) as server:
        yield server


@pytest.fixture
def live_url(browser_server: LiveServer, transactional_db: None) -> str:
    """The server's base URL; the test's rows are committed so that the server process sees them."""
    return browser_server.url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path | None]:
    def take(page: Any, name: str) -> Path | None:
        if os.environ.get("SCREENSHOTS") != "1":
            return None
        SCREENS.mkdir(parents=True, exist_ok=True)
        path = SCREENS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
