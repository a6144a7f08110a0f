"""The Data Docs site as a reader opens it with no network: headless Chromium, every request not for a file
refused."""

import re

import pytest
from playwright.sync_api import sync_playwright

from hk_market import data_docs_site
from hk_market.expectations import validate

from .plugins.conftest import CHROMIUM_FLAGS, chromium  # noqa: F401
from .test_quality import DAY, edited, price_frame


@pytest.fixture
def offline_page(chromium, scratch_warehouse):  # noqa: F811
    """Opens a file in headless Chromium, refusing every request for anything but a file; yields (open, unloaded):
    what the pages asked for and did not get (refused, or a missing file)."""
    unloaded = []

    def only_files(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", only_files)
            page.on("requestfailed", lambda request: unloaded.append(request.url))

            def open_file(path):
                page.goto(path.as_uri())
                page.wait_for_load_state("load")
                return page

            yield open_file, unloaded
        finally:
            browser.close()


def test_a_failed_validation_page_shows_its_results_and_the_index_lists_it_offline(offline_page):
    open_file, unloaded = offline_page
    report = validate("prices", edited(price_frame(), 5, close=-1.0), [DAY])
    page_path = data_docs_site.build(report, "run_offline")

    page = open_file(page_path)
    assert re.search(r"Status:\s*Failed", page.inner_text("body"))
    assert page.locator(".bootstrap-table").count() > 0  # jQuery and bootstrap-table ran
    results = page.locator(".bootstrap-table table tbody tr:visible")
    assert results.count() >= len(report.outcomes)  # a row an expectation, more for the unexpected values' tables
    negative_close = results.filter(has_text="values must be greater than 0.0.")
    assert "1 unexpected values found" in negative_close.first.inner_text()

    index = open_file(data_docs_site.site_dir() / "index.html")
    listed = index.locator(".bootstrap-table table tbody tr:visible", has_text="run_offline")
    assert listed.count() == 1 and listed.locator(".fa-times").is_visible()
    assert unloaded == []
