"""The report in a real browser (Debian's headless Chromium, driven by Playwright): it opens from disk with no
network, its map and photo viewer work offline, verdicts survive a reload, go into the ledger through a file or
straight from `dronecheck review`, markup from a photo stays text; and it stays quick with 2,000 findings.

Screenshots go to docs/screenshots/ (README, "Reviewing a run")."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from conftest import FLIGHT, ROOT, Scan, features, run_scan
from dronecheck.ledger import open_ledger
from dronecheck.pipeline.history import rebuild
from dronecheck.report import html
from dronecheck.report.i18n import text
from dronecheck.types import Verdict

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "docs" / "screenshots"
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


class Page:
    """A page of its own context, every request that is not file:// (or to the server under test) aborted and
    kept, every console error and dialog kept."""

    def __init__(self, browser: Any, allow: str = "file://") -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.allow = allow

    def _route(self, route: Any) -> None:
        if route.request.url.startswith(self.allow):
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, url: str) -> Any:
        self.page.goto(url)
        return self._map_drawn()

    def reload(self) -> Any:
        self.page.reload()
        return self._map_drawn()

    def _map_drawn(self) -> Any:
        self.page.wait_for_selector("#map .leaflet-pane", state="attached")
        return self.page


def said(word: str) -> str:
    """What the page shows for `word` (a verdict, a label of the viewer) in Dutch: the demo's reports are in Dutch
    (the built-in profiles' lang)."""
    return text("js." + word, "nl")


def url(run_dir: Path, query: str = "?offline=1") -> str:
    return (run_dir / "report.html").as_uri() + query


def shot(what: Any, name: str) -> None:
    """A screenshot of a page or of one element (a Playwright locator)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    what.screenshot(path=str(SHOTS / name))


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    """A scan of the demo flight of this module's own: its tests write verdicts into its ledger."""
    scan = run_scan(FLIGHT, tmp_path_factory.mktemp("review-outputs"), "--profile", "cracks")
    assert scan.exit_code == 0, scan.output
    return scan


def test_report_from_disk_needs_no_network_and_draws_every_finding(browser: Any, demo: Scan) -> None:
    assert demo.run_dir is not None
    p = Page(browser)
    page = p.open(url(demo.run_dir))
    placed = [f for f in features(demo.run_dir) if f["geometry"]]
    assert placed
    assert page.locator("#map path.finding").count() == len(placed)
    assert page.locator("#map .leaflet-tile").count() == 0  # the plan view: no basemap
    assert page.locator("#map .leaflet-control-scale").count() == 1 and page.locator("#north").count() == 1
    assert page.locator("#left").inner_text() == str(len(features(demo.run_dir)))
    shot(page.locator("#map"), "map.png")
    page.wait_for_timeout(200)
    assert p.requests == [], "nothing may be fetched from the network when offline"
    assert p.errors == []
    p.context.close()


def test_online_the_map_asks_pdok_for_its_basemap(browser: Any, demo: Scan) -> None:
    assert demo.run_dir is not None
    p = Page(browser)
    p.open(url(demo.run_dir, ""))
    p.page.wait_for_timeout(300)
    assert p.requests and all(r.startswith("https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/"
                                           "EPSG:3857/") for r in p.requests), p.requests[:3]
    p.context.close()


def test_keyboard_confirm_changes_the_marker_and_survives_a_reload(browser: Any, demo: Scan) -> None:
    assert demo.run_dir is not None
    p = Page(browser)
    page = p.open(url(demo.run_dir))
    total = len(features(demo.run_dir))
    first = page.locator(".card[data-id]:not(.violation)").first.get_attribute("data-id")
    page.keyboard.press("j")
    page.keyboard.press("c")
    assert page.locator(f'[id="f-{first}"] .verdict').inner_text() == said("confirmed")
    assert page.locator('#map path.finding[data-verdict="confirmed"]').count() == 1
    assert page.locator("#left").inner_text() == str(total - 1)
    page.keyboard.press("j")
    page.keyboard.press("r")
    page.locator("#filters").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, document.getElementById('filters').getBoundingClientRect().top - 10)")
    shot(page, "review-list.png")
    p.reload()
    assert page.locator(f'[id="f-{first}"] .verdict').inner_text() == said("confirmed")
    assert page.locator('#map path.finding[data-verdict="confirmed"]').count() == 1
    assert page.locator('#map path.finding[data-verdict="rejected"]').count() == 1
    page.select_option("#f-verdict", "unconfirmed")
    assert page.locator(".card[data-id]:not(.violation):visible").count() == total - 2
    assert p.requests == [] and p.errors == []
    p.context.close()


def test_clicking_a_finding_opens_its_photo_with_the_box(browser: Any, demo: Scan) -> None:
    assert demo.run_dir is not None
    p = Page(browser)
    page = p.open(url(demo.run_dir))
    page.locator("#map path.finding").first.click(force=True)
    page.wait_for_selector("#viewer:not([hidden]) #viewer-map img.photo")
    assert page.locator("#viewer-map path.box").count() == 1
    assert page.locator("#viewer-props th", has_text=said("score")).count() == 1
    assert page.locator("#viewer-crop img").count() == 1
    page.wait_for_function("document.querySelector('#viewer-map img.photo').complete")
    page.wait_for_timeout(400)
    shot(page, "photo-viewer.png")
    seen = np.asarray(Image.open(io.BytesIO(page.locator("#viewer-map img.photo").screenshot())).convert("L"))
    assert seen.std() > 20, "the photo is not to be seen (something paints over it)"
    page.mouse.wheel(0, -300)  # zooms
    page.keyboard.press("Escape")
    assert page.locator("#viewer").is_hidden()
    assert p.requests == [] and p.errors == []
    p.context.close()


def _apply(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dronecheck", "review", "apply", *args], capture_output=True,
                          text=True, timeout=120)


def _applied(saved: Path, run_dir: Path, fid: str) -> Verdict:
    """`review apply` of the verdicts file `saved` into the ledger of `run_dir`'s outputs, which must succeed; then
    the verdict that ledger holds for the finding `fid`."""
    ledger = run_dir.parent.parent / "ledger.sqlite"
    done = _apply(str(saved), "--ledger", str(ledger))
    assert done.returncode == 0, done.stderr
    with open_ledger(ledger, read_only=True) as lg:
        return lg.verdicts([fid])[fid]


def _save(page: Any, where: Path) -> dict[str, Any]:
    with page.expect_download() as download:
        page.click("#save")
    download.value.save_as(where)
    return json.loads(where.read_text())


def test_a_saved_verdicts_file_applied_lands_in_the_ledger_and_the_geojson(browser: Any, own: Scan,
                                                                            tmp_path: Path) -> None:
    assert own.run_dir is not None
    p = Page(browser)
    page = p.open(url(own.run_dir))
    page.keyboard.press("j")
    page.keyboard.press("c")
    first = page.locator(".card.current").get_attribute("data-id")
    saved = tmp_path / "verdicts.json"
    data = _save(page, saved)
    p.context.close()
    assert data["verdicts"][first]["verdict"] == "confirmed"
    assert _applied(saved, own.run_dir, first).verdict == "confirmed"
    status = {f["id"]: f["properties"].get("status") for f in features(own.run_dir)}
    assert status[first] == "confirmed"
    fresh = Page(browser)  # another browser, nothing in its storage: the report written again shows the verdict
    page = fresh.open(url(own.run_dir))
    assert "confirmed" in (page.locator(f'.card[data-id="{first}"]').get_attribute("class") or "")
    fresh.context.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _serving(out: Path) -> Iterator[str]:
    """`dronecheck review` on the outputs `out`, run as user inspector-test: its address, then Ctrl-C, and it must
    end cleanly."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "dronecheck", "review", "--out", str(out), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "USER": "inspector-test", "LOGNAME": "inspector-test"})
    try:
        line = server.stdout.readline()  # type: ignore[union-attr]
        assert f"127.0.0.1:{port}" in line, line + server.stderr.read()  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.send_signal(2)  # Ctrl-C
        _, err = server.communicate(timeout=20)
    assert server.returncode == 0 and "Traceback" not in err, err


def test_with_dronecheck_review_running_a_click_lands_in_the_ledger(browser: Any, own: Scan) -> None:
    assert own.run_dir is not None
    out = own.run_dir.parent.parent
    with _serving(out) as base:
        p = Page(browser, allow=base)
        page = p.open(base + "?offline=1")
        card = page.locator(".card[data-id]:not(.violation)").nth(1)
        fid = card.get_attribute("data-id")
        card.locator(".reject").click()
        page.wait_for_function("document.getElementById('saved-where').dataset.saved === '1'")
        with open_ledger(out / "ledger.sqlite", read_only=True) as lg:
            v = lg.verdicts([fid])[fid]
        assert (v.verdict, v.reviewed_by) == ("rejected", "inspector-test")
        assert v.reviewed_at.tzinfo is not None and abs(time.time() - v.reviewed_at.timestamp()) < 120
        # another browser sees what the ledger holds
        q = Page(browser, allow=base)
        other = q.open(base + "?offline=1")
        rejected = said("rejected")
        other.wait_for_function(f"document.querySelector('[id=\"f-{fid}\"] .verdict').textContent === '{rejected}'")
        assert p.requests == [] and p.errors == [] and q.errors == []
        p.context.close()
        q.context.close()


def test_review_refuses_a_host_other_machines_reach_without_allow_remote(own: Scan) -> None:
    assert own.run_dir is not None
    done = subprocess.run([sys.executable, "-m", "dronecheck", "review", "--out", str(own.run_dir.parent.parent),
                           "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "--allow-remote" in done.stderr


HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
NAME = "<svg onload=alert(4)>\"'><img src=x onerror=alert(2)>"  # a file name has no "/"


def _synthetic(demo: Scan, target: Path, n: int, hostile: bool = False) -> Path:
    """The demo run with `n` findings (copies of its own, each id new), written as a report in `target`."""
    assert demo.run_dir is not None
    with open_ledger(demo.run_dir.parent.parent / "ledger.sqlite", read_only=True) as lg:
        run = rebuild(lg, demo.run_dir.name)
    shutil.copytree(demo.run_dir / "crops", target / "crops")
    base = run.findings
    made, crops = [], {}
    for i in range(n):
        f = base[i % len(base)]
        fid = f"{f.id[:20]}-{i:05d}"
        if hostile:
            frame = replace(f.frame, path=f.frame.path.with_name(NAME + ".JPG"),
                            camera=replace(f.frame.camera, make=HOSTILE, model="<b onmouseover=alert(3)>"))
            f = replace(f, frame=frame, note=HOSTILE)
        made.append(replace(f, id=fid, score=round(0.25 + 0.75 * ((i * 37) % 100) / 100, 4)))
        crops[fid] = run.crops[f.id]
    run.findings, run.crops, run.run_dir = made, crops, target
    html.write_report(run, {}, target / "report.html")
    return target


def test_markup_in_names_exif_and_comments_stays_text(browser: Any, demo: Scan, tmp_path: Path) -> None:
    run_dir = _synthetic(demo, tmp_path, 3, hostile=True)
    p = Page(browser)
    page = p.open(url(run_dir))
    fid = page.locator(".card[data-id]:not(.violation)").first.get_attribute("data-id")
    key = page.evaluate("Object.keys(localStorage)")
    page.evaluate(f"""localStorage.setItem("dronecheck-verdicts:{demo.run_dir.parent.name}:{demo.run_dir.name}",
                      JSON.stringify({{"{fid}": {{verdict: "confirmed", comment: {json.dumps(HOSTILE)}}}}}))""")
    p.reload()
    page.locator(".card[data-id] .open").first.click()
    page.wait_for_selector("#viewer:not([hidden])")
    page.locator("#map path.finding").first.hover(force=True)
    page.wait_for_timeout(300)
    assert p.dialogs == [], p.dialogs
    assert page.locator("script:not([src]):not([type])").count() == 0
    assert page.locator("img[src='x']").count() == 0 and page.locator("b[onmouseover]").count() == 0
    assert page.locator("#viewer-props td", has_text="onerror=alert(2)").count() >= 3  # photo, camera, note, comment
    assert key is not None


def test_two_thousand_findings_stay_quick(browser: Any, demo: Scan, tmp_path: Path) -> None:
    run_dir = _synthetic(demo, tmp_path, 2000)
    p = Page(browser)
    start = time.perf_counter()
    page = p.open(url(run_dir))
    page.wait_for_function("document.getElementById('left').textContent === '2000'")
    first_render = time.perf_counter() - start
    page.keyboard.press("j")
    timings = page.evaluate("""async () => {
        const out = [];
        for (const key of ["j", "c", "j", "r", "j", "k", "c", "j", "j", "c"]) {
            const t = performance.now();
            document.dispatchEvent(new KeyboardEvent("keydown", {key: key, bubbles: true}));
            await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
            out.push(performance.now() - t);
        }
        return out;
    }""")
    page.select_option("#f-verdict", "unconfirmed")
    filtered = page.evaluate("""async () => { const t = performance.now();
        document.getElementById("f-sort").value = "score-desc";
        document.getElementById("f-sort").dispatchEvent(new Event("input"));
        await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0))); return performance.now() - t; }""")
    per_key = sorted(timings)[len(timings) // 2]
    print(f"\n2000 findings: first render {first_render * 1000:.0f} ms, per key press median {per_key:.1f} ms, "
          f"max {max(timings):.1f} ms, sort {filtered:.0f} ms")
    assert page.locator(".card[data-id]:visible").count() == 100  # one page of the list
    assert page.locator("#left").inner_text() == "1997"  # findings 1, 2 (rejected, then confirmed) and 4
    assert first_render < 10 and per_key < 100, (first_render, timings)
    assert p.requests == [] and p.errors == []


MARKUP = "<img src=x onerror=alert(1)>"


def _card(page: Any, n: int) -> tuple[Any, str]:
    card = page.locator(".card[data-id]:not(.violation)").nth(n)
    return card, card.get_attribute("data-id")


def test_a_comment_typed_with_markup_is_kept_as_text_and_applied_to_the_ledger(browser: Any, own: Scan,
                                                                                tmp_path: Path) -> None:
    assert own.run_dir is not None
    p = Page(browser)
    page = p.open(url(own.run_dir))
    card, fid = _card(page, 2)
    card.locator("textarea.comment").click()
    page.keyboard.type(MARKUP + " jkcr")  # c, r, j and k are shortcuts, but not while typing
    assert card.locator(".verdict").inner_text() == said("unconfirmed")
    assert page.locator(".card.current").get_attribute("data-id") == fid
    card.locator(".confirm").click()
    v = page.evaluate(f"window.dronecheckReview.verdicts[{json.dumps(fid)}]")
    assert (v["verdict"], v["comment"]) == ("confirmed", MARKUP + " jkcr")
    card.locator(".open").click()
    page.wait_for_selector("#viewer:not([hidden])")
    assert page.locator("#viewer-props td", has_text=MARKUP).count() == 1
    page.wait_for_timeout(200)
    assert p.dialogs == [] and page.locator("img[src='x']").count() == 0
    page.keyboard.press("Escape")
    saved = _save(page, tmp_path / "verdicts.json")
    assert saved["verdicts"][fid]["comment"] == MARKUP + " jkcr"
    assert p.errors == [] and p.requests == []
    p.context.close()
    got = _applied(tmp_path / "verdicts.json", own.run_dir, fid)
    assert (got.verdict, got.comment) == ("confirmed", MARKUP + " jkcr")
    fresh = Page(browser)  # the report written again holds the comment, shown as text in the card
    page = fresh.open(url(own.run_dir))
    assert page.locator(f'.card[data-id="{fid}"] textarea.comment').input_value() == MARKUP + " jkcr"
    assert fresh.dialogs == [] and page.locator("img[src='x']").count() == 0
    fresh.context.close()


def test_dragging_a_corner_of_the_box_corrects_it_in_the_photo_s_pixels(browser: Any, own: Scan,
                                                                        tmp_path: Path) -> None:
    assert own.run_dir is not None
    p = Page(browser)
    page = p.open(url(own.run_dir))
    card, fid = _card(page, 3)
    f = page.evaluate(f"JSON.parse(document.getElementById('dc-data').textContent).findings"
                      f".find(f => f.id === {json.dumps(fid)})")
    assert f["view"] and f["size_px"], "the demo keeps a view of every photo"
    card.locator(".open").click()
    page.wait_for_selector("#viewer:not([hidden]) #viewer-map img.photo")
    page.wait_for_function("document.querySelector('#viewer-map img.photo').complete")
    shown = page.evaluate("document.querySelector('#viewer-map img.photo').naturalWidth")
    page.click("#viewer-adjust")
    assert page.locator("#viewer-adjust").get_attribute("aria-pressed") == "true"
    assert page.locator("#viewer-map .corner").count() == 2
    scale = 2 ** page.evaluate("window.dronecheckReview.photoMap().getZoom()")  # screen px per photo px
    corner = page.locator("#viewer-map .corner-se").bounding_box()
    x, y = corner["x"] + corner["width"] / 2, corner["y"] + corner["height"] / 2
    dx, dy = 40, 25
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 6):
        page.mouse.move(x + dx * i / 5, y + dy * i / 5)
    page.mouse.up()
    page.wait_for_function(f"(window.dronecheckReview.verdicts[{json.dumps(fid)}] || {{}}).verdict === 'corrected'")
    v = page.evaluate(f"window.dronecheckReview.verdicts[{json.dumps(fid)}]")
    w, h = f["size_px"]
    want = [f["box_px"][0], f["box_px"][1], min(w, f["box_px"][2] + dx / scale), min(h, f["box_px"][3] + dy / scale)]
    assert "class" not in v and v["box_px"] != f["box_px"]
    assert all(abs(a - b) < 1.0 for a, b in zip(v["box_px"], want, strict=True)), (v["box_px"], want, shown, w)
    assert card.locator(".verdict").inner_text() == said("corrected")
    assert page.locator("#viewer-props th", has_text=said("corrected_box")).count() == 1
    page.keyboard.press("Escape")
    saved = _save(page, tmp_path / "verdicts.json")
    assert saved["verdicts"][fid]["box_px"] == v["box_px"]
    assert p.errors == [] and p.requests == []
    p.context.close()
    got = _applied(tmp_path / "verdicts.json", own.run_dir, fid)
    assert (got.verdict, got.corrected_class) == ("corrected", None)
    assert got.corrected_box_px is not None
    assert all(abs(a - b) < 0.06 for a, b in zip(got.corrected_box_px, v["box_px"], strict=True))


def test_the_server_stores_a_comment_and_a_corrected_box(own: Scan) -> None:
    from dronecheck.review.server import Served, create_app

    assert own.run_dir is not None
    ledger = own.run_dir.parent.parent / "ledger.sqlite"
    fid = features(own.run_dir)[4]["id"]
    client = create_app(Served(own.run_dir.name, own.run_dir, ledger, "inspector-test")).test_client()
    sent = {"verdict": "corrected", "box_px": [10, 20, 110.5, 60], "comment": MARKUP, "by": "someone-else"}
    done = client.post("/api/verdicts", json={"finding_id": fid, "verdict": sent})
    assert done.status_code == 200, done.get_json()
    with open_ledger(ledger, read_only=True) as lg:
        got = lg.verdicts([fid])[fid]
    assert (got.verdict, got.corrected_class, got.corrected_box_px, got.comment, got.reviewed_by) == (
        "corrected", None, (10, 20, 110.5, 60), MARKUP, "inspector-test")
    assert client.get("/api/verdicts").get_json()[fid]["comment"] == MARKUP
    confirmed_with_a_box = {"verdict": "confirmed", "box_px": [1, 2, 3, 4]}
    bad = client.post("/api/verdicts", json={"finding_id": fid, "verdict": confirmed_with_a_box})
    assert bad.status_code == 400


def _stored(page: Any) -> dict[str, Any]:
    """The verdicts this browser keeps (localStorage) for the report open in `page`."""
    return page.evaluate("""() => { const k = Object.keys(localStorage).find(k => k.startsWith("dronecheck-verdicts:"));
                                    return k ? JSON.parse(localStorage.getItem(k)) : {}; }""")


def _viewer_note(page: Any) -> Any:
    """The viewer's comment, found by its label as the page says it (Dutch)."""
    return page.get_by_label(text("report.viewer_comment", "nl"), exact=True)


def test_a_comment_typed_in_the_photo_viewer_is_the_card_s_and_survives_a_reload(browser: Any, demo: Scan) -> None:
    assert demo.run_dir is not None
    p = Page(browser)
    page = p.open(url(demo.run_dir))
    card, fid = _card(page, 5)
    card.locator("textarea.comment").click()
    page.keyboard.type("from the card")
    card.locator(".open").click()
    page.wait_for_selector("#viewer:not([hidden]) #viewer-map img.photo")
    note = _viewer_note(page)
    assert note.input_value() == "from the card"  # the card's comment, shown in the viewer
    note.click()
    page.keyboard.press("Control+A")
    typed = MARKUP + " jkcrxo"  # every shortcut, none of them taken while typing
    page.keyboard.type(typed)
    assert card.locator("textarea.comment").input_value() == typed  # and the viewer's on the card as it is typed
    assert card.locator(".verdict").inner_text() == said("unconfirmed")
    assert page.locator(".card.current").get_attribute("data-id") == fid
    assert page.locator("#viewer").is_visible() and page.locator("#viewer-props td").first.inner_text() == fid
    assert page.evaluate("document.activeElement.id") == "viewer-comment"
    page.locator("#viewer-source").click()  # out of the comment: the keys are shortcuts again
    page.keyboard.press("c")
    assert _stored(page)[fid]["verdict"] == "confirmed" and _stored(page)[fid]["comment"] == typed
    assert page.locator("#viewer-props td", has_text=said("confirmed")).count() == 1
    assert page.locator("#viewer-props td", has_text=MARKUP).count() == 1
    page.wait_for_timeout(200)
    assert p.dialogs == [] and page.locator("img[src='x']").count() == 0
    p.reload()
    assert card.locator("textarea.comment").input_value() == typed
    card.locator(".open").click()
    page.wait_for_selector("#viewer:not([hidden])")
    assert note.input_value() == typed
    note.fill("second look")  # changed after the verdict: the verdict is given again with it
    page.locator("#viewer-source").click()
    assert (_stored(page)[fid]["verdict"], _stored(page)[fid]["comment"]) == ("confirmed", "second look")
    assert card.locator("textarea.comment").input_value() == "second look"
    page.keyboard.press("Escape")
    assert page.locator("#viewer").is_hidden()
    page.wait_for_timeout(200)
    assert p.dialogs == [] and page.locator("img[src='x']").count() == 0
    assert p.errors == [] and p.requests == []
    p.context.close()


def test_with_dronecheck_review_a_comment_typed_in_the_viewer_lands_in_the_ledger(browser: Any, own: Scan) -> None:
    assert own.run_dir is not None
    out = own.run_dir.parent.parent
    with _serving(out) as base:
        p = Page(browser, allow=base)
        page = p.open(base + "?offline=1")
        card, fid = _card(page, 5)
        card.locator(".open").click()
        page.wait_for_selector("#viewer:not([hidden]) #viewer-map img.photo")
        _viewer_note(page).click()
        typed = "seen from the viewer " + MARKUP
        page.keyboard.type(typed)
        page.locator("#viewer-source").click()
        page.keyboard.press("r")
        page.wait_for_function("document.getElementById('saved-where').dataset.saved === '1'")
        with open_ledger(out / "ledger.sqlite", read_only=True) as lg:
            v = lg.verdicts([fid])[fid]
        assert (v.verdict, v.comment, v.reviewed_by) == ("rejected", typed, "inspector-test")
        assert card.locator("textarea.comment").input_value() == typed
        page.wait_for_timeout(200)
        assert p.dialogs == [] and page.locator("img[src='x']").count() == 0
        assert p.requests == [] and p.errors == []
        p.context.close()


def _drag(page: Any, selector: str, to: tuple[float, float]) -> None:
    """The mouse takes the marker `selector` by its centre and lets go of it at `to` (screen px), in steps."""
    handle = page.locator(selector).bounding_box()
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x + (to[0] - x) * i / 8, y + (to[1] - y) * i / 8)
    page.mouse.up()


def test_dragging_the_box_s_centre_moves_it_whole_and_keeps_it_in_the_photo(browser: Any, demo: Scan) -> None:
    assert demo.run_dir is not None
    p = Page(browser)
    page = p.open(url(demo.run_dir))
    card, fid = _card(page, 6)
    f = page.evaluate(f"JSON.parse(document.getElementById('dc-data').textContent).findings"
                      f".find(f => f.id === {json.dumps(fid)})")
    assert f["view"] and f["size_px"]
    w, h = f["size_px"]
    b = f["box_px"]
    card.locator(".open").click()
    page.wait_for_selector("#viewer:not([hidden]) #viewer-map img.photo")
    page.wait_for_function("document.querySelector('#viewer-map img.photo').complete")
    page.click("#viewer-adjust")
    assert page.locator("#viewer-map .box-move").count() == 1 and page.locator("#viewer-map .corner").count() == 2
    scale = 2 ** page.evaluate("window.dronecheckReview.photoMap().getZoom()")  # screen px per photo px
    # towards the photo's middle, so that the photo's edge does not stop it
    dx = 40 if (b[0] + b[2]) / 2 < w / 2 else -40
    dy = 25 if (b[1] + b[3]) / 2 < h / 2 else -25
    handle = page.locator("#viewer-map .box-move").bounding_box()
    nw = page.locator("#viewer-map .corner-nw").bounding_box()
    centre = (handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    _drag(page, "#viewer-map .box-move", (centre[0] + dx, centre[1] + dy))
    page.wait_for_function(f"(window.dronecheckReview.verdicts[{json.dumps(fid)}] || {{}}).verdict === 'corrected'")
    v = _stored(page)[fid]
    want = [b[0] + dx / scale, b[1] + dy / scale, b[2] + dx / scale, b[3] + dy / scale]
    assert v["verdict"] == "corrected" and "class" not in v
    assert all(abs(a - c) < 1.0 for a, c in zip(v["box_px"], want, strict=True)), (v["box_px"], want, scale)
    assert abs((v["box_px"][2] - v["box_px"][0]) - (b[2] - b[0])) < 0.5
    assert abs((v["box_px"][3] - v["box_px"][1]) - (b[3] - b[1])) < 0.5
    moved = page.locator("#viewer-map .corner-nw").bounding_box()  # the corners went with it
    assert abs(moved["x"] - nw["x"] - dx) < 1.5 and abs(moved["y"] - nw["y"] - dy) < 1.5
    assert card.locator(".verdict").inner_text() == said("corrected")
    # far beyond the photo's edges: the photo small in the viewer, the handle taken to the viewer's corners
    page.evaluate("(m => m.setZoom(m.getZoom() - 2, {animate: false}))(window.dronecheckReview.photoMap())")
    area = page.locator("#viewer-map").bounding_box()
    for to, edge in [((area["x"] + 5, area["y"] + 5), (0, 0)),
                     ((area["x"] + area["width"] - 5, area["y"] + area["height"] - 5), (w, h))]:
        before = _stored(page)[fid]["at"]
        _drag(page, "#viewer-map .box-move", to)
        refused = json.dumps(said("box_not_saved"))  # what saveBox says when the box came out too small
        page.wait_for_function(f"window.dronecheckReview.verdicts[{json.dumps(fid)}].at !== {json.dumps(before)} || "
                               f"document.getElementById('saved-where').textContent === {refused}")
        assert _stored(page)[fid]["at"] != before, page.locator("#saved-where").inner_text()
        box = _stored(page)[fid]["box_px"]
        assert 0 <= box[0] and 0 <= box[1] and box[2] <= w and box[3] <= h, (box, w, h)
        assert abs((box[2] - box[0]) - (b[2] - b[0])) < 0.5 and abs((box[3] - box[1]) - (b[3] - b[1])) < 0.5, box
        corner = (box[0], box[1]) if edge == (0, 0) else (box[2], box[3])
        assert abs(corner[0] - edge[0]) < 0.2 and abs(corner[1] - edge[1]) < 0.2, (box, edge)
        photo = page.locator("#viewer-map img.photo").bounding_box()
        drawn = page.locator("#viewer-map path.box").bounding_box()  # and it is drawn where it was saved
        assert drawn["x"] >= photo["x"] - 2 and drawn["y"] >= photo["y"] - 2
        assert drawn["x"] + drawn["width"] <= photo["x"] + photo["width"] + 2
        assert drawn["y"] + drawn["height"] <= photo["y"] + photo["height"] + 2
    assert p.errors == [] and p.requests == []
    p.context.close()
