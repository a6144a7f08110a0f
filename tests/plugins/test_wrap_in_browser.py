"""The 2024-11-14 wrap that the real DAG wrote, as a reader sees it in headless Chromium on a laptop and a phone."""

import pytest
from playwright.sync_api import sync_playwright

from ..dags.conftest import WRAP_DAY
from .conftest import CHROMIUM_FLAGS

WIDTHS = {"laptop": 1280, "phone": 390}


@pytest.mark.parametrize("device", WIDTHS)
def test_the_wrap_fits_the_window_and_opens_with_the_source_and_key_figures(wrap_warehouse, chromium, tmp_path,
                                                                            device):
    report = wrap_warehouse.parent / "reports" / f"{WRAP_DAY}.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": WIDTHS[device], "height": 900})
            page.goto(report.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            note = page.get_by_role("note").first
            assert note.inner_text().startswith("SAMPLE DATA — invented figures from the embedded sample market")
            assert note.bounding_box()["y"] < page.get_by_role("heading", name="Key figures").bounding_box()["y"]
            assert page.locator("h2").first.inner_text() == "Key figures"
            page.screenshot(path=tmp_path / f"wrap-{WRAP_DAY}-{device}.png", full_page=True)
        finally:
            browser.close()
    assert (tmp_path / f"wrap-{WRAP_DAY}-{device}.png").stat().st_size > 10_000
