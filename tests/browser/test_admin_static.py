"""The admin login page under the production server command is styled: its CSS comes through WhiteNoise."""

from typing import Any


def test_admin_login_page_is_styled(page: Any, live_url: str, screenshot: Any) -> None:
    page.goto(f"{live_url}/admin/login/")
    header_colour = page.eval_on_selector("#header", "element => getComputedStyle(element).backgroundColor")
    assert header_colour not in ("rgba(0, 0, 0, 0)", "transparent")
    screenshot(page, "admin-login")
