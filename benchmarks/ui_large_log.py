"""Time kusari-ui's API on a 1,000,000-entry log, over HTTP, as the dashboard uses it.

The script writes one result folder whose ``log`` holds ``--entries`` entries exactly as
``extensions.LogReport`` writes them (one JSON array, indent 4; the validation keys in every
tenth entry), registers the folder as a project of a fresh state root, serves the app on
127.0.0.1 with waitress, and times with ``urllib``:

- ``results (cold)``: the first results list, which crawls the folder and starts reading the
  whole log; it answers after at most 0.5 s of waiting (the server's ``KUSARI_UI_READ_WAIT``)
  with ``loading: true`` while the read goes on in the background;
- ``results (summary in)``: from the cold request until a results list carries the summary of
  all entries (polled every 50 ms);
- ``results (warm)``: the list again with nothing changed (median of ``--repeat``);
- ``results (+1 entry)``: the list after the writer appended one entry (the file rewritten
  whole, as LogReport does), which reads only the new entry;
- ``chart``: a log request for 2,000 points of one key over ``iteration``, and of four keys
  (median of ``--repeat``, after the cold read).

Usage:
    python benchmarks/ui_large_log.py [--entries 1000000] [--repeat 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import waitress.server

from kusari_ui import create_app

TOKEN = "benchmark-token"


def _entries(n: int) -> list[dict]:
    entries = []
    for i in range(n):
        iteration = (i + 1) * 10
        entry = {
            "main/loss": 2.3 * math.exp(-i / n * 5.0) + 0.01 * math.sin(i),
            "main/accuracy": 1.0 - math.exp(-i / n * 5.0) * 0.9,
            "lr": 0.01,
            "epoch": iteration // 600,
            "iteration": iteration,
            "elapsed_time": iteration * 0.002,
        }
        if i % 10 == 9:
            entry["validation/main/loss"] = entry["main/loss"] * 1.1
            entry["validation/main/accuracy"] = entry["main/accuracy"] * 0.99
        entries.append(entry)
    return entries


def _write_log(path: Path, entries: list[dict]) -> float:
    start = time.perf_counter()
    tmp = path.with_name(".log.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(entries, f, indent=4)
    tmp.replace(path)
    return time.perf_counter() - start


def _timed_get(url: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        body = response.read()
    return time.perf_counter() - start, body


def _post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "X-Kusari-UI-Token": TOKEN},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def main() -> None:
    """Run the benchmark and print one line per request."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp, "project")
        run = project / "run"
        run.mkdir(parents=True)
        entries = _entries(args.entries)
        write_s = _write_log(run / "log", entries)
        size_mb = (run / "log").stat().st_size / 1e6
        print(f"log: {args.entries} entries, {size_mb:.0f} MB, written in {write_s:.1f} s")

        app = create_app({"KUSARI_UI_ROOT": str(Path(tmp, "state")), "KUSARI_UI_TOKEN": TOKEN})
        server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{server.effective_port}/api/v1"
        pid = _post(f"{base}/projects", {"path": str(project)})["project"]["id"]

        figures = {}
        results_url = f"{base}/projects/{pid}/results"
        start = time.perf_counter()
        figures["results (cold)"], body = _timed_get(results_url)
        (result,) = json.loads(body)["results"]
        while result["loading"] or result["n_entries"] == 0:
            time.sleep(0.05)
            (result,) = json.loads(_timed_get(results_url)[1])["results"]
        figures["results (summary in)"] = time.perf_counter() - start
        if result["n_entries"] != args.entries:
            raise SystemExit(f"read {result['n_entries']} entries, wrote {args.entries}")
        figures["results (warm)"] = statistics.median(
            _timed_get(results_url)[0] for _ in range(args.repeat)
        )
        entries.append(dict(entries[-1], iteration=entries[-1]["iteration"] + 10))
        _write_log(run / "log", entries)
        figures["results (+1 entry)"], body = _timed_get(results_url)
        if json.loads(body)["results"][0]["n_entries"] != args.entries + 1:
            raise SystemExit("the appended entry was not read")

        rid = result["id"]
        for keys in ("main/loss", "main/loss,main/accuracy,validation/main/loss,lr"):
            url = f"{base}/results/{rid}/log?keys={keys}&x=iteration&points=2000"
            n_keys = len(keys.split(","))
            figures[f"chart, {n_keys} key(s), 2000 points"] = statistics.median(
                _timed_get(url)[0] for _ in range(args.repeat)
            )

    for name, seconds in figures.items():
        print(f"{name:32s} {seconds * 1000:9.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
