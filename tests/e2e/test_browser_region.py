"""In a real browser (Debian's Chromium via Playwright), on a tablet (820×1180) and a laptop
(1366×768): the regional list of schools — 50 a page, a long name among them — fits the
screen with every row's action in view, for the administrator and the auditor, and the
confirmation of disabling a school fits too. Screenshots: test-artifacts/screenshots/
region-admin-820.png, region-auditor-820.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.live import ServerClock, chromium_or_skip, follow, launch, live_server
from tests.e2e.test_browser import shot
from tests.region_fake import PASSWORD, FakeRegion, region_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def region_browser() -> Iterator[tuple[Any, str]]:
    chromium = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    region = FakeRegion()
    for number in range(250):
        region.add(
            f"sch{number:03d}",
            "Муниципальное бюджетное общеобразовательное учреждение «Средняя "
            f"общеобразовательная школа № {number}»",
        )
    region.add("sch000x", "Школа", "disabled")
    app = region_app(region)
    with live_server(app, ServerClock()) as base, sync_playwright() as p:
        launched = launch(p, chromium)
        try:
            yield launched, base
        finally:
            launched.close()


def _signed_in(browser: Any, base: str, login: str, width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button:text('Войти')")
    page.wait_for_url(f"{base}/")
    return page


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize(("width", "height"), [(820, 1180), (1366, 768)])
@pytest.mark.parametrize("login", ["oblast-admin", "oblast-audit"])
def test_the_list_of_schools_fits_a_tablet_and_a_laptop(
    region_browser: tuple[Any, str], login: str, width: int, height: int
) -> None:
    browser, base = region_browser
    page = _signed_in(browser, base, login, width, height)
    rows = page.locator("table.schools tbody tr")
    assert rows.count() == 50
    _fits(page)
    action = rows.last.locator("td.actions a")
    box = action.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert page.locator("button:text('Найти')").is_visible()
    if width == 820:
        shot(page, f"region-{login.removeprefix('oblast-')}-820.png")
    if login == "oblast-admin":
        follow(page, action)
        page.wait_for_selector("textarea#reason")
        _fits(page)
        box = page.locator("textarea#reason").bounding_box()
        assert box is not None and box["x"] + box["width"] <= width
        assert page.locator("button:text('Отключить школу')").is_visible()
    page.context.close()
