from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from carts import anonymous
from carts.models import CartItem
from carts.services import cart_merge
from carts.types import CartMergeResult
from catalog.models import Product
from tests.carts.conftest import LOGIN_URL, MERGE_URL, PASSWORD, add, guest_cart, quantities
from tests.factories import ProductFactory, UserFactory
from tests.factories.carts import CartFactory, CartItemFactory
from tests.support import client_for, run_concurrently


def user_quantities(user: User) -> dict[str, int]:
    return {
        str(pid): qty for pid, qty in CartItem.objects.filter(cart__user=user).values_list("product_id", "quantity")
    }


@pytest.mark.django_db
class TestMergeRules:
    def test_sums_caps_reports_and_deletes(self, customer: User, customer_client: APIClient, cart_redis: Any) -> None:
        shared = ProductFactory.create(stock=10)
        capped = ProductFactory.create(stock=6)
        guest_only = ProductFactory.create(stock=4)
        user_only = ProductFactory.create(stock=4)
        cart = CartFactory.create(user=customer)
        CartItemFactory.create(cart=cart, product=shared, quantity=3)
        CartItemFactory.create(cart=cart, product=capped, quantity=4)
        CartItemFactory.create(cart=cart, product=user_only, quantity=1)
        token = guest_cart([(shared, 2), (capped, 5), (guest_only, 4)])

        response = customer_client.post(MERGE_URL, {"cart_token": token})

        assert response.status_code == 200
        body = response.json()
        expected = {str(shared.pk): 5, str(capped.pk): 6, str(guest_only.pk): 4, str(user_only.pk): 1}
        assert quantities(body) == expected
        assert user_quantities(customer) == expected
        assert body["capped"] == [{"product_id": str(capped.pk), "requested": 9, "quantity": 6, "available": 6}]
        assert body["merged_lines"] == 3
        assert not cart_redis.exists(anonymous.cart_key(token))

    def test_merging_twice_changes_nothing_the_second_time(
        self, customer: User, customer_client: APIClient, product: Product
    ) -> None:
        token = guest_cart([(product, 2)])
        first = customer_client.post(MERGE_URL, {"cart_token": token}).json()

        second = customer_client.post(MERGE_URL, {"cart_token": token})

        assert second.status_code == 200
        assert second.json()["merged_lines"] == 0
        assert quantities(second.json()) == quantities(first) == {str(product.pk): 2}
        assert user_quantities(customer) == {str(product.pk): 2}

    def test_guest_lines_for_withdrawn_products_are_not_merged(
        self, customer: User, customer_client: APIClient, product: Product
    ) -> None:
        withdrawn = ProductFactory.create(stock=5)
        token = guest_cart([(product, 1), (withdrawn, 1)])
        Product.objects.filter(pk=withdrawn.pk).update(is_active=False)

        body = customer_client.post(MERGE_URL, {"cart_token": token}).json()

        assert quantities(body) == {str(product.pk): 1}
        assert [n["product_id"] for n in body["notices"]] == [str(withdrawn.pk)]

    def test_merge_never_lowers_existing_quantity_and_skips_out_of_stock(
        self, customer: User, customer_client: APIClient
    ) -> None:
        product = ProductFactory.create(stock=5)
        sold_out = ProductFactory.create(stock=2)
        token = guest_cart([(product, 2), (sold_out, 2)])
        cart = CartFactory.create(user=customer)
        CartItemFactory.create(cart=cart, product=product, quantity=5)
        # Stock of sold_out drops to 0 after the guest added it.
        Product.objects.filter(pk=sold_out.pk).update(stock_quantity=0)

        body = customer_client.post(MERGE_URL, {"cart_token": token}).json()

        assert quantities(body) == {str(product.pk): 5}
        assert {c["product_id"]: c["quantity"] for c in body["capped"]} == {str(product.pk): 5, str(sold_out.pk): 0}
        assert body["merged_lines"] == 0

    def test_line_limit_applies_to_merge(self, customer: User, customer_client: APIClient, settings: Any) -> None:
        mine, first, second = ProductFactory.create_batch(3, stock=5)
        token = guest_cart([(first, 1), (second, 1)])
        CartItemFactory.create(cart=CartFactory.create(user=customer), product=mine, quantity=1)
        settings.CART_MAX_LINES = 2

        body = customer_client.post(MERGE_URL, {"cart_token": token}).json()

        assert len(body["items"]) == 2
        assert [n["code"] for n in body["notices"]] == ["cart_full"]

    @pytest.mark.parametrize("token", ["", "nope", "A" * 43])
    def test_invalid_or_unknown_token(self, customer_client: APIClient, token: str) -> None:
        response = customer_client.post(MERGE_URL, {"cart_token": token})
        if token:
            assert response.status_code == 200
            assert response.json()["merged_lines"] == 0
        else:
            assert response.status_code == 400

    def test_requires_authentication(self, api_client: APIClient, product: Product) -> None:
        token = guest_cart([(product, 1)])
        assert api_client.post(MERGE_URL, {"cart_token": token}).status_code == 401

    def test_idempotency_key_replays_first_response(
        self, customer: User, customer_client: APIClient, product: Product
    ) -> None:
        token = guest_cart([(product, 3)])
        first = customer_client.post(MERGE_URL, {"cart_token": token}, HTTP_IDEMPOTENCY_KEY="merge-1")

        replay = customer_client.post(MERGE_URL, {"cart_token": token}, HTTP_IDEMPOTENCY_KEY="merge-1")

        assert replay.status_code == 200
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.json() == first.json()
        assert replay.json()["merged_lines"] == 1
        assert user_quantities(customer) == {str(product.pk): 3}

        mismatch = customer_client.post(MERGE_URL, {"cart_token": "other"}, HTTP_IDEMPOTENCY_KEY="merge-1")
        assert mismatch.status_code == 422

    def test_failed_merge_gives_guest_lines_back(
        self, customer: User, product: Product, redis_cart_lines: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        token = guest_cart([(product, 2)])

        def explode(**kwargs: Any) -> CartMergeResult:
            raise RuntimeError("database went away")

        monkeypatch.setattr("carts.services._merge_lines", explode)
        with pytest.raises(RuntimeError):
            cart_merge(user=customer, cart_token=token)

        assert redis_cart_lines(token) == {str(product.pk): 2}
        assert user_quantities(customer) == {}


@pytest.mark.django_db
class TestLoginMerge:
    def test_login_with_cart_token_merges(self, api_client: APIClient, customer: User, cart_redis: Any) -> None:
        product = ProductFactory.create(stock=3)
        CartItemFactory.create(cart=CartFactory.create(user=customer), product=product, quantity=2)
        token = guest_cart([(product, 3)])

        response = api_client.post(LOGIN_URL, {"email": customer.email, "password": PASSWORD}, HTTP_X_CART_TOKEN=token)

        assert response.status_code == 200
        body = response.json()
        assert {"access", "refresh", "cart"} <= set(body)
        assert quantities(body["cart"]) == {str(product.pk): 3}
        assert body["cart"]["capped"] == [
            {"product_id": str(product.pk), "requested": 5, "quantity": 3, "available": 3}
        ]
        assert user_quantities(customer) == {str(product.pk): 3}
        assert not cart_redis.exists(anonymous.cart_key(token))

    def test_login_without_header_has_no_cart_key(self, api_client: APIClient, customer: User) -> None:
        body = api_client.post(LOGIN_URL, {"email": customer.email, "password": PASSWORD}).json()
        assert "cart" not in body
        assert {"access", "refresh"} <= set(body)

    def test_failed_login_does_not_touch_the_guest_cart(
        self, api_client: APIClient, customer: User, product: Product, redis_cart_lines: Any
    ) -> None:
        token = guest_cart([(product, 1)])

        response = api_client.post(LOGIN_URL, {"email": customer.email, "password": "wrong"}, HTTP_X_CART_TOKEN=token)

        assert response.status_code == 401
        assert redis_cart_lines(token) == {str(product.pk): 1}


@pytest.mark.django_db(transaction=True)
def test_concurrent_merges_of_one_token_add_it_once(cart_redis: Any) -> None:
    user = UserFactory.create()
    first, second = ProductFactory.create_batch(2, stock=50)
    CartItemFactory.create(cart=CartFactory.create(user=user), product=first, quantity=1)
    token = guest_cart([(first, 2), (second, 3)])

    results = run_concurrently(6, lambda _: cart_merge(user=user, cart_token=token), reraise=True)

    assert user_quantities(user) == {str(first.pk): 3, str(second.pk): 3}
    assert sorted(r.merged_lines for r in results) == [0, 0, 0, 0, 0, 2]
    assert not cart_redis.exists(anonymous.cart_key(token))


@pytest.mark.django_db(transaction=True)
def test_concurrent_merges_over_http_for_a_user_without_cart() -> None:
    user = UserFactory.create()
    product = ProductFactory.create(stock=50)
    token = guest_cart([(product, 4)])

    def merge(_: int) -> int:
        response = client_for(user).post(MERGE_URL, {"cart_token": token})
        assert response.status_code == 200, response.json()
        return int(response.json()["merged_lines"])

    assert sorted(run_concurrently(4, merge, reraise=True)) == [0, 0, 0, 1]
    assert user_quantities(user) == {str(product.pk): 4}


@pytest.mark.django_db(transaction=True)
def test_concurrent_guest_adds_never_exceed_stock(redis_cart_lines: Any) -> None:
    product = ProductFactory.create(stock=5)
    token = guest_cart([(product, 1)])

    def add_two(_: int) -> int:
        return add(APIClient(), product, 2, token).status_code

    statuses = run_concurrently(6, add_two, reraise=True)

    assert sorted(statuses) == [201, 201, 409, 409, 409, 409]
    assert redis_cart_lines(token) == {str(product.pk): 5}
