"""The API documentation and the browsable API in Chromium, under the production server command.

Swagger UI and ReDoc load only from our own origin (the network log is checked), under the docs' strict CSP
(a violation would show up as a console error), and Swagger UI's "Try it out" reaches the API, with a bearer JWT.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from tests.factories import ProductFactory, UserFactory
from tests.support import bearer

REDOC_BADGE = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _watch(page: Any) -> tuple[list[str], list[str]]:
    """Every URL the page requests, and every console error (CSP violations are reported there)."""
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return requests, errors


def _foreign(requests: list[str], live_url: str) -> list[str]:
    origin = urlsplit(live_url).netloc
    return [url for url in requests if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != origin]


def test_swagger_ui_renders_from_our_own_static_files_and_try_it_out_lists_products(
    page: Any, live_url: str, screenshot: Any
) -> None:
    # Swagger UI fills the filters with the schema's examples (min_price = max_price = 49.90).
    ProductFactory.create(name="Docs lamp", price=Decimal("49.90"))
    requests, errors = _watch(page)

    page.goto(f"{live_url}/api/docs/")
    page.wait_for_selector("#operations-products-products_list")

    assert page.locator(".opblock").count() > 20
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in requests)
    page.click("#operations-products-products_list .opblock-summary")
    page.click("#operations-products-products_list button.try-out__btn")
    with page.expect_response(lambda r: urlsplit(r.url).path == "/api/v1/products/") as answer:
        page.click("#operations-products-products_list button.execute")
    assert answer.value.status == 200, answer.value.url
    status_cell = "#operations-products-products_list .live-responses-table tbody .response-col_status"
    page.wait_for_selector(status_cell)
    status = page.inner_text(status_cell)
    assert status.strip().startswith("200")
    assert "Docs lamp" in page.inner_text("#operations-products-products_list .live-responses-table")
    screenshot(page, "swagger-ui")
    assert _foreign(requests, live_url) == []
    assert errors == []


def test_swagger_ui_authorize_sends_the_bearer_token(page: Any, live_url: str) -> None:
    user = UserFactory.create(email="docs-reader@example.com")
    token = bearer(user).removeprefix("Bearer ")
    page.goto(f"{live_url}/api/docs/")
    page.wait_for_selector("button.authorize")

    page.click(".scheme-container button.authorize")
    bearer_form = page.locator(".auth-container", has_text="jwtAuth")
    assert "http, Bearer" in bearer_form.inner_text()
    bearer_form.locator("input").fill(token)
    bearer_form.locator("button.authorize").click()
    page.click(".modal-ux button.btn-done")
    page.click("#operations-auth-auth_me_retrieve .opblock-summary")
    page.click("#operations-auth-auth_me_retrieve button.try-out__btn")
    with page.expect_request(lambda r: urlsplit(r.url).path == "/api/v1/auth/me/") as sent:
        page.click("#operations-auth-auth_me_retrieve button.execute")

    assert sent.value.headers["authorization"] == f"Bearer {token}"
    response = sent.value.response()
    assert response is not None
    assert response.status == 200
    assert response.json()["email"] == "docs-reader@example.com"


def test_redoc_renders_from_our_own_static_files(page: Any, live_url: str, screenshot: Any) -> None:
    """ReDoc's own sidebar badge points at its CDN: the CSP blocks it (the bundle then hides the image), so the
    only foreign request is that one, refused inside the browser; everything else is ours."""
    requests, errors = _watch(page)
    answered: list[str] = []
    page.on("response", lambda response: answered.append(response.url))

    page.goto(f"{live_url}/api/redoc/")
    page.wait_for_selector("h1:has-text('Shop API')")
    page.wait_for_selector("[data-section-id='tag/products']", state="attached")
    page.wait_for_load_state("networkidle")

    assert any("/static/drf_spectacular_sidecar/redoc/" in url for url in requests)
    assert page.eval_on_selector("h1", "element => getComputedStyle(element).fontWeight") != ""
    screenshot(page, "redoc")
    assert _foreign(answered, live_url) == []
    assert _foreign(requests, live_url) == [REDOC_BADGE]
    assert [error for error in errors if REDOC_BADGE not in error] == []


def test_browsable_api_products_page_is_styled(page: Any, live_url: str, screenshot: Any) -> None:
    ProductFactory.create(name="Browsable kettle")
    requests, _ = _watch(page)

    page.goto(f"{live_url}/api/v1/products/")

    navbar = page.eval_on_selector(".navbar", "element => getComputedStyle(element).backgroundColor")
    assert navbar not in ("rgba(0, 0, 0, 0)", "transparent")
    # Bootstrap's grid is applied: the container is centred with a fixed width, not the full page.
    width = page.eval_on_selector(".container", "element => element.getBoundingClientRect().width")
    assert width < 1280
    assert "Browsable kettle" in page.inner_text(".response-info")
    assert any(url.endswith(".js") and "/static/rest_framework/" in url for url in requests)
    screenshot(page, "browsable-api-products")
    assert _foreign(requests, live_url) == []
