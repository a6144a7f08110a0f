"""The "HK Market" page in the Airflow UI, in a real headless Chromium against a real API server."""

import httpx
from playwright.sync_api import sync_playwright

from .conftest import ANALYST, CHROMIUM_FLAGS, PASSWORD

BROWSER_TIMEOUT_MS = 30_000


def test_the_page_is_only_for_users_signed_in_to_airflow(api_server):
    assert httpx.get(f"{api_server}/hk-market/", timeout=30).status_code == 401


def test_the_plugin_adds_the_hk_market_page_to_the_navigation(api_server):
    token = httpx.post(f"{api_server}/auth/token", json={"username": ANALYST, "password": PASSWORD},
                       timeout=30).json()["access_token"]
    plugins = httpx.get(f"{api_server}/api/v2/plugins", headers={"Authorization": f"Bearer {token}"},
                        timeout=30).json()["plugins"]
    views = [view for plugin in plugins for view in plugin["external_views"]]
    assert {"name": "HK Market", "href": "/hk-market/", "url_route": "hk-market", "destination": "nav"}.items() \
        <= views[0].items()


def test_an_analyst_signs_in_and_sees_the_2024_11_14_wrap_and_marts(api_server, chromium, tmp_path):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
            page.set_default_timeout(BROWSER_TIMEOUT_MS)
            page.goto(f"{api_server}/plugin/hk-market")
            page.get_by_label("Username").fill(ANALYST)  # the Airflow sign-in page
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("link", name="HK Market").wait_for()

            wrap = page.frame_locator("iframe")
            wrap.get_by_role("heading", name="Hong Kong market wrap, Thursday 14 November 2024").wait_for()
            text = wrap.locator("body").inner_text()
            assert "SAMPLE DATA — invented figures from the embedded sample market, not the real market." in text
            assert "The Hang Seng Index fell 1.96% to 19,435.81" in text
            assert "short selling ratio was 21.74%, up 2.35 points" in text
            assert "southbound net buying of HK$19.66 billion" in text
            assert "marts.market_summary (3 rows)" in text
            assert wrap.locator("svg").count() == 4
            wrap.locator("body").evaluate("body => body.querySelectorAll('details').forEach(d => d.open = true)")
            assert wrap.locator("html").evaluate("html => html.scrollWidth <= window.innerWidth")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.screenshot(path=tmp_path / "hk-market-2024-11-14.png", full_page=True)

            with page.expect_download() as download:
                wrap.get_by_role("link", name="Download marts.southbound_daily for 2024-11-14 (CSV)").click()
            assert download.value.suggested_filename == "southbound_daily_2024-11-14.csv"
            assert download.value.path().read_text().splitlines()[0].startswith("trade_date,channel,buy_hkd")

            wrap.get_by_label("Trading day").select_option("2024-11-13")
            wrap.get_by_role("heading", name="Hong Kong market wrap, Wednesday 13 November 2024").wait_for()
            page.screenshot(path=tmp_path / "hk-market-2024-11-13.png")

            page.goto(f"{api_server}/hk-market/?day=2024-11-16")
            assert page.get_by_role("alert").inner_text() == (
                "Saturday 16 November 2024 is not an HKEX trading day: the analyst snapshot has no wrap for it.")
            page.get_by_role("link", name="Thursday 14 November 2024").click()
            page.get_by_role("heading", name="Hong Kong market wrap, Thursday 14 November 2024").wait_for()
        finally:
            browser.close()
    assert (tmp_path / "hk-market-2024-11-14.png").stat().st_size > 10_000
