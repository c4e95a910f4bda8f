"""The dashboard page in headless Chromium: table, charts, aggregation, exports, escaping."""

import csv
import io
import json
import shutil
import struct
from pathlib import Path

from _demo import write_demo_project, write_run

RUN_NAMES = sorted(f"mlp_lr{lr}_seed{seed}" for lr in (0.01, 0.05) for seed in (0, 1, 2))


def open_project(page, server, pid: int) -> None:
    """Open the project view and wait until the table and the first chart are drawn."""
    page.goto(f"{server.url}#/project/{pid}")
    page.wait_for_selector('[data-testid="result-row"]')
    page.wait_for_function("() => window.kusariUI.charts.length > 0"
                           " && window.kusariUI.charts[0].series.length > 0")


def chart(page, index: int = 0) -> dict:
    return page.evaluate(f"() => window.kusariUI.charts[{index}]")


def row_names(page) -> list[str]:
    return page.locator('[data-testid="result-name"]').all_text_contents()


def set_range(locator, value: float) -> None:
    """Move a range slider (Playwright's fill does not take range inputs)."""
    locator.evaluate("(el, v) => { el.value = String(v);"
                     " el.dispatchEvent(new Event('input', {bubbles: true})); }", value)


def test_project_list_then_runs_in_the_table(page, demo, tmp_path: Path):
    server, pid = demo
    page.goto(server.url)
    link = page.locator('[data-testid="project-link"]')
    link.wait_for()
    assert link.count() == 1
    assert "demo" in link.inner_text()
    assert "6 results" in link.inner_text()
    link.click()
    page.wait_for_selector('[data-testid="result-row"]')
    assert sorted(row_names(page)) == RUN_NAMES
    statuses = {
        row.locator('[data-testid="result-name"]').inner_text():
            row.locator('[data-testid="status-badge"]').inner_text()
        for row in page.locator('[data-testid="result-row"]').all()
    }
    assert statuses["mlp_lr0.05_seed2"] == "running"
    assert statuses["mlp_lr0.01_seed2"] == "crashed"
    assert statuses["mlp_lr0.01_seed0"] == "finished"
    # Last value, best value with its epoch, and the args that differ between runs.
    groups = page.locator('[data-testid="results-table"] tr.group-row th').all_text_contents()
    assert [g for g in groups if g] == ["progress", "main/loss", "main/accuracy",
                                        "validation/main/loss", "validation/main/accuracy", "lr",
                                        "args"]
    for column in ("last:main/loss", "best:main/loss", "last:lr", "arg:lr", "arg:seed"):
        assert page.locator(f'[data-testid="th-{column}"]').count() == 1
    assert page.locator('[data-testid="th-arg:batchsize"]').count() == 0  # the same in all
    results = {r["name"]: r for r in server.results(pid)}
    best = results["mlp_lr0.05_seed0"]["best"]["main/loss"]
    row = page.locator('[data-testid="result-row"]',
                       has=page.get_by_text("mlp_lr0.05_seed0", exact=True))
    assert f"ep {best['epoch']}" in row.inner_text()
    page.wait_for_function("() => window.kusariUI.charts[0]?.series.length > 0")
    info = chart(page)
    assert info["x"] == "epoch"
    assert info["left"] == ["main/loss", "validation/main/loss"]
    assert len(info["series"]) == 12  # six runs × two keys, overlaid
    page.screenshot(path=str(tmp_path / "project.png"), full_page=True)


def test_html_in_names_args_and_keys_shows_as_text(page, live_server, tmp_path: Path):
    folder = tmp_path / "results"
    write_run(folder / "plain", 0.01, 0, 5)
    write_run(folder / "evil", 0.05, 1, 5,
              extra_args={"note": '<img src=x onerror="alert(2)">'})
    log = json.loads((folder / "evil" / "log").read_text())
    for entry in log:
        entry["<b>bold</b>"] = 1.0
    (folder / "evil" / "log").write_text(json.dumps(log))
    pid = live_server.add_project(folder, name="<i>project</i>")
    evil = next(r for r in live_server.results(pid) if r["path"] == "evil")
    live_server.api("PATCH", f"results/{evil['id']}", {"name": "<script>alert(1)</script>"})
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    open_project(page, live_server, pid)
    assert "<script>alert(1)</script>" in row_names(page)
    assert page.get_by_text('<img src=x onerror="alert(2)">', exact=True).count() == 1
    assert page.get_by_text("<i>project</i>", exact=True).count() == 1
    assert page.locator('[data-testid="results-table"] thead').get_by_text("<b>").count() >= 1
    assert page.locator("main img, main b, main i").count() == 0
    assert page.locator("body script").count() == 0
    card = page.locator('[data-testid="chart"]').first
    card.locator('[data-testid="chart-left-keys"] summary').click()
    key = card.locator('[data-testid="key-left"][data-key="<b>bold</b>"]')
    key.check()
    page.wait_for_function("() => window.kusariUI.charts[0].series"
                           ".some(s => s.label === '<script>alert(1)</script> · <b>bold</b>')")
    legend = card.locator('[data-testid="chart-legend"]')
    assert legend.get_by_text("<script>alert(1)</script>", exact=True).count() == 1
    assert legend.get_by_text("<b>bold</b>", exact=True).count() == 1
    page.wait_for_timeout(300)
    assert dialogs == []
    page.screenshot(path=str(tmp_path / "escaped.png"), full_page=True)


def test_smoothing_fades_raw_line_behind_ema(page, demo, tmp_path: Path):
    server, pid = demo
    open_project(page, server, pid)
    before = chart(page)
    assert {s["kind"] for s in before["series"]} == {"line"}
    card = page.locator('[data-testid="chart"]').first
    set_range(card.locator('[data-testid="chart-smoothing"]'), 0.9)
    page.wait_for_function("() => window.kusariUI.charts[0].series.some(s => s.kind === 'smooth')")
    after = chart(page)
    assert card.get_attribute("data-smoothing") == "0.9"
    assert card.locator('[data-testid="chart-smoothing-value"]').inner_text() == "0.90"
    raw = {s["label"].removesuffix(" (raw)"): s for s in after["series"] if s["kind"] == "raw"}
    smooth = {s["label"]: s for s in after["series"] if s["kind"] == "smooth"}
    lines = {s["label"]: s for s in before["series"]}
    assert set(raw) == set(smooth) == set(lines)
    for label, line in lines.items():
        assert raw[label]["sum"] == line["sum"]  # the raw data is unchanged, drawn faded
        assert raw[label]["n"] == smooth[label]["n"]
        # The losses fall, so the EMA lags above them.
        assert smooth[label]["sum"] > raw[label]["sum"]
    page.screenshot(path=str(tmp_path / "smoothing.png"))
    set_range(card.locator('[data-testid="chart-smoothing"]'), 0)
    page.wait_for_function("() => window.kusariUI.charts[0].series.every(s => s.kind === 'line')")


def test_switch_x_axis_right_axis_log_scale_and_zoom(page, demo, tmp_path: Path):
    server, pid = demo
    open_project(page, server, pid)
    assert chart(page)["xRange"] == [1, 20]
    card = page.locator('[data-testid="chart"]').first

    # Zoom by dragging across the plot; a double click resets it.
    box = card.locator(".u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=5)
    page.mouse.up()
    page.wait_for_function("() => window.kusariUI.charts[0].zoomed")
    low, high = chart(page)["xScale"]
    assert 1 < low < high < 20
    card.locator(".u-over").dblclick()
    page.wait_for_function("() => !window.kusariUI.charts[0].zoomed")
    page.wait_for_function("() => window.kusariUI.charts[0].xScale[1] >= 20")

    # A key on the right axis.
    card.locator('[data-testid="chart-right-keys"] summary').click()
    card.locator('[data-testid="key-right"][data-key="main/accuracy"]').check()
    page.wait_for_function("() => window.kusariUI.charts[0].series"
                           ".filter(s => s.scale === 'y2').length === 6")
    card.locator('[data-testid="chart-right-keys"] summary').click()
    card.locator('[data-testid="chart-x"]').select_option("iteration")
    page.wait_for_function("() => window.kusariUI.charts[0].x === 'iteration'"
                           " && window.kusariUI.charts[0].xRange?.[1] === 800")
    assert card.get_attribute("data-x-key") == "iteration"
    assert chart(page)["xRange"] == [40, 800]
    card.locator('[data-testid="chart-x"]').select_option("elapsed_time")
    page.wait_for_function("() => window.kusariUI.charts[0].x === 'elapsed_time'")
    page.wait_for_function("() => window.kusariUI.charts[0].xRange?.[0] > 2")
    card.locator('[data-testid="chart-left-scale"]').select_option("log")
    page.wait_for_function("() => window.kusariUI.charts[0].leftLog === true")
    page.screenshot(path=str(tmp_path / "x_axis.png"))


def test_filter_sort_hide_rename_colour(page, demo, tmp_path: Path):
    server, pid = demo
    open_project(page, server, pid)
    rows = page.locator('[data-testid="result-row"]')
    page.fill('[data-testid="filter"]', "lr=0.05")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=result-row]')"
                           ".length === 3")
    assert all("lr0.05" in name for name in row_names(page))
    page.wait_for_function("() => window.kusariUI.state().plotted.length === 3")
    page.wait_for_function("() => window.kusariUI.charts[0].series.length === 6")
    page.fill('[data-testid="filter"]', "crashed")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=result-row]')"
                           ".length === 1")
    assert row_names(page) == ["mlp_lr0.01_seed2"]
    page.fill('[data-testid="filter"]', "no such run")
    page.wait_for_selector('[data-testid="results-empty"]:visible')
    page.fill('[data-testid="filter"]', "")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=result-row]')"
                           ".length === 6")

    # Sort by the last main/loss, both ways.
    last = {r["name"]: r["last"]["main/loss"] for r in server.results(pid)}
    header = page.locator('[data-testid="th-last:main/loss"]')
    header.click()
    assert row_names(page) == sorted(last, key=last.get)
    header.click()
    assert row_names(page) == sorted(last, key=last.get, reverse=True)

    # Hide a run; it comes back with "show hidden" and can be unhidden.
    target = rows.filter(has=page.get_by_text("mlp_lr0.01_seed1", exact=True))
    target.locator('[data-testid="row-hide"]').click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=result-row]')"
                           ".length === 5")
    assert "mlp_lr0.01_seed1" not in row_names(page)
    page.check('[data-testid="show-hidden"]')
    page.wait_for_function("() => document.querySelectorAll('[data-testid=result-row]')"
                           ".length === 6")
    hidden_row = page.locator('[data-testid="result-row"].is-hidden')
    assert hidden_row.locator('[data-testid="result-name"]').inner_text() == "mlp_lr0.01_seed1"
    hidden_row.locator('[data-testid="row-hide"]').click()
    page.wait_for_function("() => !document.querySelector('[data-testid=result-row].is-hidden')")
    assert not any(r["is_hidden"] for r in server.results(pid))

    # Rename in place.
    target = rows.filter(has=page.get_by_text("mlp_lr0.05_seed0", exact=True))
    target.locator('[data-testid="row-rename"]').click()
    page.fill('[data-testid="rename-input"]', "best so far")
    page.press('[data-testid="rename-input"]', "Enter")
    page.locator('[data-testid="result-name"]:text-is("best so far")').wait_for()
    assert any(r["name"] == "best so far" for r in server.results(pid))

    # Colour and visibility of a run in the charts.
    target = rows.filter(has=page.get_by_text("best so far", exact=True))
    target.locator('[data-testid="row-color"]').fill("#ff0000")
    page.wait_for_function("() => window.kusariUI.charts[0].series"
                           ".some(s => s.label.startsWith('best so far') && s.color === '#ff0000')")
    target.locator('[data-testid="row-visible"]').uncheck()
    page.wait_for_function("() => window.kusariUI.charts[0].series.length === 10")
    assert not any(s["label"].startswith("best so far") for s in chart(page)["series"])
    page.screenshot(path=str(tmp_path / "table.png"), full_page=True)


def test_aggregation_draws_mean_and_std_bands(page, demo, tmp_path: Path):
    server, pid = demo
    open_project(page, server, pid)
    page.locator('[data-testid="ignore-keys"] summary').click()
    seed = page.locator('[data-testid="ignore-key"][data-key="seed"]')
    assert seed.is_checked()  # seed (and out) are ignored by default
    page.check('[data-testid="aggregate"]')
    page.wait_for_function("() => window.kusariUI.charts[0].bands === 4")
    info = chart(page)
    means = [s for s in info["series"] if s["kind"] == "mean"]
    assert len(means) == 4  # two lr groups × two keys
    assert {m["label"].split(" · ")[0] for m in means} == {"lr=0.01 (n=3)", "lr=0.05 (n=3)"}
    assert len([s for s in info["series"] if s["kind"] in ("hi", "lo")]) == 8
    page.screenshot(path=str(tmp_path / "aggregate.png"))
    # Grouping by seed too: every run is its own group.
    page.locator('[data-testid="ignore-keys"] summary').click()
    seed.uncheck()
    page.wait_for_function("() => window.kusariUI.charts[0].bands === 12")
    page.uncheck('[data-testid="aggregate"]')
    page.wait_for_function("() => window.kusariUI.charts[0].bands === 0")


def test_csv_export_downloads_plotted_runs(page, demo, tmp_path: Path):
    server, pid = demo
    open_project(page, server, pid)
    with page.expect_download() as info:
        page.locator('[data-testid="chart-csv"]').first.click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text())))
    assert rows[0] == ["result", "epoch", "main/loss", "validation/main/loss"]
    assert sorted({row[0] for row in rows[1:]}) == RUN_NAMES
    assert len(rows) - 1 == 4 * 20 + 13 + 9
    line = next(row for row in rows if row[0] == "mlp_lr0.01_seed0" and row[1] == "20")
    log = json.loads((tmp_path / "results" / "mlp_lr0.01_seed0" / "log").read_text())
    assert float(line[2]) == log[-1]["main/loss"]


def test_png_download_of_a_chart(page, demo, tmp_path: Path):
    server, pid = demo
    open_project(page, server, pid)
    with page.expect_download() as info:
        page.locator('[data-testid="chart-png"]').first.click()
    download = info.value
    assert download.suggested_filename.endswith(".png")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 300 and height > 200


def test_register_project_and_missing_folder(page, live_server, tmp_path: Path):
    folder = write_demo_project(tmp_path / "results")
    page.goto(live_server.url)
    page.wait_for_selector('[data-testid="add-project"]')
    page.fill('[data-testid="add-project-path"]', str(folder))
    page.fill('[data-testid="add-project-name"]', "from the page")
    page.click('[data-testid="add-project-submit"]')
    page.wait_for_selector('[data-testid="result-row"]')
    assert page.locator('[data-testid="project-name"]').inner_text() == "from the page"
    # A vanished folder stays in the table, flagged missing.
    shutil.rmtree(folder / "mlp_lr0.01_seed1")
    page.evaluate("() => window.kusariUI.refresh()")
    page.wait_for_selector('[data-testid="result-row"].is-missing')
    missing = page.locator('[data-testid="result-row"].is-missing')
    assert missing.locator('[data-testid="result-name"]').inner_text() == "mlp_lr0.01_seed1"
    # Registering the folder twice is refused, with the server's message shown.
    page.goto(live_server.url)
    page.fill('[data-testid="add-project-path"]', str(folder))
    page.click('[data-testid="add-project-submit"]')
    page.wait_for_selector('[data-testid="toast-error"]')
    assert "409" in " ".join(page.console_errors)
    page.console_errors.clear()
