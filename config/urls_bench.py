"""The application's URLs plus the framework floor, a constant JSON answer (mounted only in bench settings)."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns

_FLOOR_BODY = {"id": "00000000-0000-0000-0000-000000000000", "name": "floor", "price": "1.00"}


async def floor(request: HttpRequest) -> JsonResponse:
    return JsonResponse(_FLOOR_BODY)


urlpatterns = [path("bench/floor/", floor, name="bench-floor"), *app_urlpatterns]
