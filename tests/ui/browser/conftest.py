"""Fixtures of the real-browser tests: a live kusari-ui server and Debian's Chromium.

The tests drive Chromium through Playwright's sync API. They are skipped, with a message
saying how to install it, when the browser is absent (``apt-get install chromium``; Playwright's
own ``playwright install`` needs the internet). ``$KUSARI_UI_CHROMIUM`` names another binary.
"""

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _demo import write_demo_project

CHROMIUM = os.environ.get("KUSARI_UI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TOKEN = "browser-test-token"
HERE = Path(__file__).parent


def _skip_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return (f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
                "(or set KUSARI_UI_CHROMIUM to a Chromium binary) to run the browser tests")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: `pip install playwright` (the browser is Chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class LiveServer:
    """A kusari-ui server running in a thread of the test process."""

    url: str
    app: object

    def api(self, method: str, path: str, json: object = None) -> object:
        """Call the API through Flask's test client (same app, same database)."""
        client = self.app.test_client()
        response = client.open(f"/api/v1/{path}", method=method, json=json,
                               headers={"X-Kusari-UI-Token": TOKEN})
        assert response.status_code < 400, response.get_data(as_text=True)
        return response.get_json()

    def add_project(self, folder: Path, name: str = "demo") -> int:
        """Register ``folder`` and return the project id."""
        return self.api("POST", "projects", {"path": str(folder), "name": name})["project"]["id"]

    def results(self, pid: int) -> list[dict]:
        return self.api("GET", f"projects/{pid}/results")["results"]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real app on 127.0.0.1 (a free port), with a fresh state root and a fixed token."""
    from werkzeug.serving import make_server

    from kusari_ui import create_app

    app = create_app({"KUSARI_UI_ROOT": str(tmp_path / "state"), "KUSARI_UI_TOKEN": TOKEN,
                      "KUSARI_UI_READ_WAIT": None})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}/", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def demo(live_server: LiveServer, tmp_path: Path) -> tuple[LiveServer, int]:
    """The live server with the demo project (six runs) registered."""
    folder = write_demo_project(tmp_path / "results")
    pid = live_server.add_project(folder)
    live_server.results(pid)  # crawled once, as after a first visit: results_count is known
    return live_server, pid


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: object, live_server: LiveServer) -> Iterator[object]:
    """A fresh page (own storage, downloads accepted) that fails the test on page errors.

    It depends on ``live_server`` so that it is closed before the server stops.
    """
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    # A test that provokes an error on purpose checks it here and clears the list.
    page.console_errors = errors
    try:
        yield page
    finally:
        context.close()
    assert errors == [], f"errors in the page: {errors}"
