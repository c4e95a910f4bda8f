"""Take the dashboard screenshot of the docs (not a test).

Writes the demo project (six runs) into a temporary folder, serves it with kusari-ui on a free
port of 127.0.0.1 and photographs the project view in headless Chromium.

Usage:
    python tests/ui/browser/_screenshot.py [docs/ui-dashboard.png]
"""

import os
import sys
import tempfile
import threading
from pathlib import Path

from _demo import write_demo_project
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from kusari_ui import create_app

CHROMIUM = os.environ.get("KUSARI_UI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DEFAULT_OUT = Path(__file__).resolve().parents[3] / "docs" / "ui-dashboard.png"


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_demo_project(Path(tmp) / "mnist-sweep")
        app = create_app({"KUSARI_UI_ROOT": str(Path(tmp) / "state")})
        client = app.test_client()
        token = app.config["KUSARI_UI_TOKEN"]
        response = client.post("/api/v1/projects", json={"path": str(folder),
                                                         "name": "mnist-sweep"},
                               headers={"X-Kusari-UI-Token": token})
        pid = response.get_json()["project"]["id"]
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 720})
                page.goto(f"http://127.0.0.1:{server.server_port}/#/project/{pid}")
                page.wait_for_function("() => window.kusariUI.charts.length === 2"
                                       " && window.kusariUI.charts.every(c => c.series.length)")
                page.locator('[data-testid="chart-smoothing"]').first.evaluate(
                    "el => { el.value = '0.6';"
                    " el.dispatchEvent(new Event('input', {bubbles: true})); }")
                page.wait_for_function(
                    "() => window.kusariUI.charts[0].series.some(s => s.kind === 'smooth')")
                page.wait_for_timeout(300)
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out), full_page=True)
                browser.close()
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
