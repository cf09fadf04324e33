"""The dashboard in headless Chromium: build a portfolio, run it, see charts and table, download.

Drives the system Chromium (``/usr/bin/chromium``; CI installs it with apt) through Playwright
against ``uvicorn`` on a free port of 127.0.0.1. Saves ``artifacts/dashboard.png`` and
``artifacts/report.png``. The comparison behind the API is the synthetic one of
``conftest_browser`` so the test checks the interface, not the model.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from conftest_browser import ARTIFACTS, FakeBackend, LiveServer
from fentsim.report import SECTIONS
from fentsim.web import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not shutil.which("chromium"),
        reason="needs the system Chromium (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=ARGS,
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("store"), backend=FakeBackend(delay=0.25))
    with LiveServer(app) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    requests: list[str] = []
    pg.on("request", lambda req: requests.append(req.url))
    pg.errors, pg.requests = errors, requests  # type: ignore[attr-defined]
    yield pg
    context.close()


def build_portfolio(page) -> None:
    page.fill("#pf-name", "my-mix")
    rows = page.locator("#lever-rows .lever-row")
    rows.nth(0).locator("select.lever").select_option("naloxone")
    rows.nth(0).locator("input.intensity").fill("8")
    page.click("#add-lever")
    second = rows.nth(1)
    second.locator("select.lever").select_option("maritime_interdiction")
    second.locator("input.intensity").fill("0.4")
    second.locator("input.start").fill("2027")
    second.locator("input.end").fill("2032")
    page.click("#add-lever")
    third = rows.nth(2)
    third.locator("select.lever").select_option("military_campaign")
    third.locator("input.intensity").fill("10")
    third.locator("input[data-opt='consent']").check()
    third.locator("input[data-mix='target_mix'][data-key='labs']").fill("0.66")
    third.locator("input[data-mix='target_mix'][data-key='nodes']").fill("0")
    page.click("#save-portfolio")


def test_dashboard_end_to_end(page, server, tmp_path):
    page.goto(server + "/")
    page.wait_for_selector("input[data-preset='essay']")
    assert page.locator("#selected li .pf-name").all_inner_texts() == [
        "status-quo",
        "essay",
        "public-health",
    ]

    build_portfolio(page)
    assert page.locator("#selected li .pf-name").all_inner_texts()[-1] == "my-mix"
    assert page.locator("#error").is_hidden()

    page.fill("#runs", "200")
    page.fill("#seed", "7")
    page.click("#run")
    page.wait_for_selector("#progress:not([hidden])")
    page.wait_for_function(
        "document.querySelector('#progress-text').textContent.includes('running')", timeout=20000
    )
    page.wait_for_selector("#charts .chart >> nth=3", timeout=30000)

    charts = page.locator("#charts .chart")
    assert charts.count() == 4
    assert page.locator("#charts .chart svg path.band").count() == 4
    assert page.locator("#charts .chart svg path.median").count() == 4 + 3  # + reference medians
    rows = page.locator("#comparison tbody tr")
    assert rows.count() == 4
    assert "my-mix" in rows.nth(3).inner_text()
    assert "Deaths averted" in page.locator("#comparison thead").inner_text()

    page.select_option("#outcome", "mexico_homicides")
    assert (
        "homicides" in page.locator("#charts .chart").first.inner_text().lower()
        or charts.count() == 4
    )

    with page.expect_download() as dl:
        page.click("#dl-csv")
    text = Path(dl.value.path()).read_text()
    table = list(csv.DictReader(io.StringIO(text)))
    assert {r["portfolio"] for r in table} == {"status-quo", "essay", "public-health", "my-mix"}

    page.select_option("#outcome", "opioid_deaths")
    page.locator("#charts .chart svg").first.hover()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    with page.expect_download() as dl:
        page.click("#dl-report")
    report = tmp_path / "report.html"
    shutil.copy(dl.value.path(), report)
    page.goto(report.as_uri())
    for anchor, heading in SECTIONS:
        section = page.locator(f"section#{anchor}")
        assert section.count() == 1, anchor
        assert heading in section.locator("h2").inner_text()
    images = page.locator("section#deaths img")
    assert images.count() >= 1
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)

    assert not page.errors, page.errors  # type: ignore[attr-defined]
    outside = [u for u in page.requests if not u.startswith((server, "file://", "data:"))]  # type: ignore[attr-defined]
    assert not outside, outside


def test_errors_are_shown_to_the_user(page, server):
    page.goto(server + "/")
    page.wait_for_selector("input[data-preset='essay']")
    page.fill("#pf-name", "too-much")
    page.locator("#lever-rows .lever-row select.lever").first.select_option("naloxone")
    page.locator("#lever-rows .lever-row input.intensity").first.fill("999")
    page.click("#save-portfolio")
    assert "outside" in page.locator("#error").inner_text()

    page.fill("#runs", "999999")
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    page.wait_for_function("document.querySelector('#error').textContent.includes('runs')")
    assert "less than or equal to 5000" in page.locator("#error").inner_text()
    assert not page.errors  # type: ignore[attr-defined]
