"""The back office in Chromium, as a shop manager works in it: styled pages, the order lifecycle buttons, a new
product through the category autocomplete, a stock adjustment that lands in the ledger; customers kept out."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from catalog.models import Product
from inventory.models import MovementReason, StockMovement
from orders.models import Order, OrderStatus
from orders.services import order_staff_set_status
from tests.factories import CategoryFactory, UserFactory
from tests.factories.payments import paid_order

PASSWORD = "correct-horse-battery"  # the factories' password
TRANSPARENT = ("rgba(0, 0, 0, 0)", "transparent")


@pytest.fixture
def manager_user(live_url: str) -> User:
    return UserFactory.create(manager=True, email="manager@example.com")


def _log_in(page: Any, live_url: str, email: str, next_path: str = "/admin/") -> None:
    page.goto(f"{live_url}/admin/login/?next={next_path}")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state()


def _style(page: Any, selector: str, prop: str) -> str:
    return str(page.eval_on_selector(selector, f"element => getComputedStyle(element).{prop}"))


def _messages(page: Any, level: str) -> list[str]:
    return [text.strip() for text in page.locator(f"ul.messagelist li.{level}").all_inner_texts()]


def test_login_page_and_order_list_are_styled(page: Any, live_url: str, manager_user: User, screenshot: Any) -> None:
    paid_order()
    page.goto(f"{live_url}/admin/login/")
    assert _style(page, "#header", "backgroundColor") not in TRANSPARENT
    assert _style(page, "#login-form input[type=submit]", "backgroundColor") not in TRANSPARENT
    screenshot(page, "backoffice-login")

    _log_in(page, live_url, manager_user.email, "/admin/orders/order/")

    assert page.url.endswith("/admin/orders/order/")
    assert _style(page, "#header", "backgroundColor") not in TRANSPARENT
    # The admin's stylesheet lays out the filter sidebar and the result table; unstyled HTML would not.
    assert _style(page, "#changelist-filter h2", "backgroundColor") not in TRANSPARENT
    assert _style(page, "#result_list", "borderCollapse") == "collapse"
    assert page.locator("#result_list tbody tr").count() == 1
    headers = page.locator("#result_list thead th").all_inner_texts()
    assert {"CUSTOMER", "STATUS", "LINES", "UNITS", "TOTAL AMOUNT"} <= {h.strip().upper() for h in headers}
    screenshot(page, "backoffice-order-list")


def test_manager_ships_a_paid_order_from_the_order_page(
    page: Any, live_url: str, manager_user: User, screenshot: Any
) -> None:
    order = paid_order()
    _log_in(page, live_url, manager_user.email, f"/admin/orders/order/{order.pk}/change/")
    assert page.locator("[data-transition]").evaluate_all("buttons => buttons.map(b => b.dataset.transition)") == [
        "PROCESSING",
        "CANCELLED",
    ]
    assert _style(page, "button[data-transition=PROCESSING]", "backgroundColor") not in TRANSPARENT
    assert _style(page, ".lifecycle-buttons", "display") == "flex"  # the back office's own stylesheet

    page.click("button[data-transition=PROCESSING]")
    page.wait_for_load_state()
    assert _messages(page, "success") == [f"Order {order.pk} is now PROCESSING."]

    page.click("button[data-transition=SHIPPED]")
    page.wait_for_load_state()
    assert _messages(page, "success") == [f"Order {order.pk} is now SHIPPED."]
    assert page.locator("[data-transition]").count() == 0
    history = page.locator("#status_events-group").inner_text()
    assert "PENDING → PAYMENT_CONFIRMED by" in history
    assert "PAYMENT_CONFIRMED → PROCESSING by manager@example.com at" in history
    assert "PROCESSING → SHIPPED by manager@example.com at" in history
    screenshot(page, "backoffice-order-shipped")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED


def test_invalid_transition_shows_a_clear_message(
    page: Any, live_url: str, manager_user: User, screenshot: Any
) -> None:
    order = paid_order()
    _log_in(page, live_url, manager_user.email, f"/admin/orders/order/{order.pk}/change/")
    # Meanwhile another manager cancels it: the button on this page is now stale.
    colleague = UserFactory.create(manager=True)
    order_staff_set_status(order_id=order.pk, to_status=OrderStatus.CANCELLED, actor=colleague)

    page.click("button[data-transition=PROCESSING]")
    page.wait_for_load_state()

    assert _messages(page, "error") == ["An order in status CANCELLED cannot move to PROCESSING."]
    assert _style(page, "ul.messagelist li.error", "backgroundColor") not in TRANSPARENT
    assert page.locator("[data-transition]").count() == 0
    screenshot(page, "backoffice-invalid-transition")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


def test_manager_adds_a_product_then_adjusts_its_stock(
    page: Any, live_url: str, manager_user: User, screenshot: Any
) -> None:
    CategoryFactory.create(name="Garden tools", slug="garden-tools")
    CategoryFactory.create(name="Kitchen", slug="kitchen")
    _log_in(page, live_url, manager_user.email, "/admin/catalog/product/add/")

    page.locator("#id_name").press_sequentially("Steel rake")
    assert page.input_value("#id_slug") == "steel-rake"  # prepopulated by the admin's JavaScript
    page.fill("#id_price", "24.50")
    # The category is a select2 autocomplete: it works only with the admin's JavaScript and its JSON view.
    page.click("#id_category + .select2 .select2-selection")
    page.fill(".select2-search__field", "garden")
    option = page.locator(".select2-results__option", has_text="Garden tools")
    option.wait_for()
    screenshot(page, "backoffice-product-autocomplete")
    option.click()
    page.click("input[name=_continue]")
    page.wait_for_load_state()

    product = Product.objects.get(slug="steel-rake")
    assert product.category.name == "Garden tools"
    assert product.stock_quantity == 0
    assert page.url.endswith(f"/admin/catalog/product/{product.pk}/change/")

    page.click("#adjust-stock-link")
    page.wait_for_load_state()
    assert page.inner_text("#current-stock") == "0"
    page.select_option("#id_reason", MovementReason.RESTOCK.value)
    page.fill("#id_delta", "12")
    page.fill("#id_note", "First delivery from the forge")
    screenshot(page, "backoffice-adjust-stock")
    page.click("input[name=_adjust]")
    page.wait_for_load_state()
    assert _messages(page, "success") == ["Stock of “Steel rake”: 0 → 12 (Restock, +12)."]

    page.click("text=Stock ledger")
    page.wait_for_load_state()
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "Steel rake" in row
    assert "12" in row
    assert "Restock" in row
    assert "manager@example.com" in row
    assert rows.first.locator("td.field-note").inner_text() == "First delivery from the forge"
    screenshot(page, "backoffice-stock-ledger")
    movement = StockMovement.objects.get(product=product)
    assert (movement.delta, movement.reason, movement.actor_id) == (12, MovementReason.RESTOCK, manager_user.pk)
    assert movement.note == "First delivery from the forge"


def test_customer_cannot_enter_the_admin(page: Any, live_url: str, screenshot: Any) -> None:
    customer = UserFactory.create(email="customer@example.com")
    _log_in(page, live_url, customer.email)
    assert "/admin/login/" in page.url
    assert "staff account" in page.inner_text(".errornote")
    screenshot(page, "backoffice-customer-refused")

    page.goto(f"{live_url}/admin/orders/order/")
    assert "/admin/login/" in page.url
    assert page.locator("#result_list").count() == 0
