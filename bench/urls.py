"""The application's URLs plus two bench-only reference views (mounted only in bench settings).

``floor``: a constant JSON answer, the framework floor every bench compares with.
``write_floor``: the least an authenticated write costs on this stack: a DRF view with the project's JWT
authentication, permission and throttles that inserts one row in a transaction (bench/orders.py compares order
placement with it).
``cart_io_floor``: the Redis and PostgreSQL work an anonymous add-to-cart cannot do without (the throttle's
script, the cart's HGETALL, the product query, the write script), done by the same functions as the cart API,
in a plain async view that answers the floor's constant JSON. What separates it from the floor is the cost of
that I/O alone; what separates the real endpoint from it is DRF and the cart logic (bench/carts.py).
"""

from uuid import uuid4

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from api.throttling import AnonRateThrottle
from carts import anonymous
from carts.selectors import products_by_id
from config.urls import urlpatterns as app_urlpatterns
from core.db import read_on_thread
from idempotency.models import IdempotencyKey

WRITE_FLOOR_KEY_PREFIX = "bench-write-floor:"

_FLOOR_BODY = {"id": "00000000-0000-0000-0000-000000000000", "name": "floor", "price": "1.00"}


async def floor(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_FLOOR_BODY)


@csrf_exempt
async def cart_io_floor(request: HttpRequest) -> JsonResponse:
    """Add one unit to the first line of the ``X-Cart-Token`` cart: the add-to-cart's I/O, nothing else."""
    await AnonRateThrottle().aallow_request(Request(request), view=None)  # its key does not depend on the view
    token = request.headers["X-Cart-Token"]
    lines = await anonymous.alines_read(token=token)
    products = await read_on_thread(products_by_id, product_ids=lines)
    product = products[next(iter(lines))]
    await anonymous.aline_write(
        token=token, product_id=product.pk, quantity=1, mode="add", max_quantity=product.stock_quantity
    )
    return JsonResponse(_FLOOR_BODY)


class WriteFloorView(APIView):
    """One row (an idempotency key of the caller's, purged like any other) inserted in a transaction."""

    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]  # IsAuthenticated
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                user=user, key=f"{WRITE_FLOOR_KEY_PREFIX}{uuid4()}", method="POST", path=request.path
            )
        return Response({"id": str(row.pk)}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("bench/floor/", floor, name="bench-floor"),
    path("bench/write-floor/", WriteFloorView.as_view(), name="bench-write-floor"),
    path("bench/cart-io/", cart_io_floor, name="bench-cart-io"),
    *app_urlpatterns,
]
