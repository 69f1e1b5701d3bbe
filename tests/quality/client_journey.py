"""A customer's and a manager's journey through the Python client generated from the live OpenAPI schema.

Run by tests/quality/test_generated_client.py with the generated package (``shop_client``) on the path and
type-checked with ``mypy --strict``: every call below must be expressible with the generated types alone, with
anonymous calls on the plain ``Client`` and errors read as typed models. Inputs arrive as SHOP_* environment
variables; any mismatch with the contract raises and ends the script with a non-zero status.
"""

from __future__ import annotations

import os
import uuid
from http import HTTPStatus

from shop_client import AuthenticatedClient, Client
from shop_client.api.auth import auth_register_create, auth_token_create
from shop_client.api.cart import cart_items_create, cart_retrieve
from shop_client.api.categories import categories_list
from shop_client.api.orders import orders_create, orders_pay, orders_retrieve, orders_status_create
from shop_client.api.products import products_list, products_retrieve
from shop_client.models import (
    ApiValidationErrorResponse,
    Cart,
    CartItemAddRequest,
    CartMerge,
    ConflictErrorResponse,
    InsufficientStockError,
    LoginResponse,
    Order,
    OrderFromCartRequest,
    OrderFromItemsRequest,
    OrderLineInputRequest,
    OrderStatusEnum,
    OrderStatusInputRequest,
    OrderStatusInputStatusEnum,
    PaginatedCategoryList,
    PaginatedProductList,
    PayInputRequest,
    Payment,
    PaymentStatusEnum,
    Product,
    ProviderEnum,
    RegisterRequest,
    TokenObtainPairRequest,
)
from shop_client.types import UNSET


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"journey failed: {message}")


def login(client: Client, email: str, password: str, cart_token: str | None = None) -> LoginResponse:
    response = auth_token_create.sync_detailed(
        client=client,
        body=TokenObtainPairRequest(email=email, password=password),
        x_cart_token=cart_token if cart_token is not None else UNSET,
    )
    check(isinstance(response.parsed, LoginResponse), f"login answered {response.status_code}")
    assert isinstance(response.parsed, LoginResponse)
    return response.parsed


def main() -> None:
    base_url = os.environ["SHOP_URL"]
    product_id = uuid.UUID(os.environ["SHOP_PRODUCT_ID"])
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)

    # Browse anonymously: lists, a detail, then the same detail revalidated with its ETag.
    categories = categories_list.sync(client=anonymous)
    check(isinstance(categories, PaginatedCategoryList) and categories.count >= 1, "categories")
    products = products_list.sync(client=anonymous, page_size=5)
    check(isinstance(products, PaginatedProductList) and products.count >= 1, "products")
    detail = products_retrieve.sync_detailed(id=product_id, client=anonymous)
    product = detail.parsed
    check(isinstance(product, Product), f"product detail answered {detail.status_code}")
    assert isinstance(product, Product)
    for value in product.attributes.additional_properties.values():
        check(isinstance(value, str | int | float | bool), "attributes are scalars")
    etag = detail.headers.get("ETag")
    check(etag is not None, "a product detail carries an ETag")
    assert etag is not None
    revalidated = products_retrieve.sync_detailed(id=product_id, client=anonymous, if_none_match=etag)
    check(revalidated.status_code == HTTPStatus.NOT_MODIFIED, "If-None-Match with the current ETag is a 304")

    # An anonymous cart, then an account; signing in with the cart token merges the cart.
    added = cart_items_create.sync(client=anonymous, body=CartItemAddRequest(product_id=product_id, quantity=2))
    check(isinstance(added, Cart) and isinstance(added.cart_token, str), "anonymous cart")
    assert isinstance(added, Cart)
    assert isinstance(added.cart_token, str)
    email = f"journey-{uuid.uuid4().hex[:12]}@example.com"
    password = "journey-" + uuid.uuid4().hex
    registered = auth_register_create.sync_detailed(
        client=anonymous, body=RegisterRequest(email=email, password=password)
    )
    check(registered.status_code in (HTTPStatus.CREATED, HTTPStatus.ACCEPTED), "register")
    session = login(anonymous, email, password, cart_token=added.cart_token)
    check(isinstance(session.cart, CartMerge), "the login merged the cart")
    customer = AuthenticatedClient(base_url=base_url, token=session.access, raise_on_unexpected_status=True)
    cart = cart_retrieve.sync(client=customer)
    check(isinstance(cart, Cart) and cart.item_count == 2, "the merged cart holds the two units")

    # Order from the cart and pay it; a retry with the same key is a replay of the first answer.
    placed = orders_create.sync(client=customer, body=OrderFromCartRequest(from_cart=True))
    check(isinstance(placed, Order) and placed.status == OrderStatusEnum.PENDING, "order from the cart")
    assert isinstance(placed, Order)
    key = uuid.uuid4().hex
    pay_body = PayInputRequest(provider=ProviderEnum.FAKE, payment_token="tok_ok")
    paid = orders_pay.sync_detailed(order_id=placed.id, client=customer, body=pay_body, idempotency_key=key)
    check(isinstance(paid.parsed, Payment) and paid.parsed.status == PaymentStatusEnum.SUCCEEDED, "payment")
    replay = orders_pay.sync_detailed(order_id=placed.id, client=customer, body=pay_body, idempotency_key=key)
    check(replay.headers.get("Idempotent-Replayed") == "true", "a retried payment is a replay")

    # The manager moves the paid order along.
    manager_session = login(anonymous, os.environ["SHOP_MANAGER_EMAIL"], os.environ["SHOP_MANAGER_PASSWORD"])
    manager = AuthenticatedClient(base_url=base_url, token=manager_session.access, raise_on_unexpected_status=True)
    moved = orders_status_create.sync(
        order_id=placed.id,
        client=manager,
        body=OrderStatusInputRequest(status=OrderStatusInputStatusEnum.PROCESSING),
    )
    check(isinstance(moved, Order) and moved.status == OrderStatusEnum.PROCESSING, "manager transition")
    seen = orders_retrieve.sync(order_id=placed.id, client=customer)
    check(isinstance(seen, Order) and seen.status == OrderStatusEnum.PROCESSING, "the customer sees it")

    # A 409 read as a typed model: more units than the shop has.
    fresh = products_retrieve.sync(id=product_id, client=anonymous)
    assert isinstance(fresh, Product)
    too_many = fresh.stock_quantity + 1
    conflict = orders_create.sync(
        client=customer,
        body=OrderFromItemsRequest(items=[OrderLineInputRequest(product_id=product_id, quantity=too_many)]),
    )
    check(isinstance(conflict, ConflictErrorResponse), f"ordering {too_many} units is a 409")
    assert isinstance(conflict, ConflictErrorResponse)
    shortage = conflict.errors[0]
    check(isinstance(shortage, InsufficientStockError), "the 409 narrows to insufficient_stock")
    assert isinstance(shortage, InsufficientStockError)
    check(shortage.available == fresh.stock_quantity and shortage.product_id == product_id, "its `available`")

    # A 400 read as a typed model: a cart line of zero units.
    invalid = cart_items_create.sync(client=customer, body=CartItemAddRequest(product_id=product_id, quantity=0))
    check(isinstance(invalid, ApiValidationErrorResponse), "a zero quantity is a validation error")
    assert isinstance(invalid, ApiValidationErrorResponse)
    check([error.attr for error in invalid.errors] == ["quantity"], "the error names the field")
    print("journey ok")


if __name__ == "__main__":
    main()
