"""The minimal project's URLs: the floor (same body as the project's ``bench/floor/``) and a health answer."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

# The project's floor body (bench/urls.py); bench/stack.py checks that both answer the same bytes.
FLOOR_BODY = {"id": "00000000-0000-0000-0000-000000000000", "name": "floor", "price": "1.00"}


async def floor(request: HttpRequest) -> JsonResponse:
    return JsonResponse(FLOOR_BODY)


async def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("bench/floor/", floor),
    path("healthz", healthz),
]
