"""Static files under the ASGI stack: served by WhiteNoise without turning the middleware chain synchronous."""

from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient

from api.static import StaticFilesMiddleware


def test_admin_css_is_served_through_the_asgi_stack() -> None:
    async def fetch() -> tuple[Any, bytes]:
        response: Any = await AsyncClient().get("/static/admin/css/base.css")
        return response, b"".join(response.streaming_content)

    response, body = async_to_sync(fetch)()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert b"body" in body


def test_middleware_keeps_an_async_chain_async() -> None:
    async def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    assert iscoroutinefunction(StaticFilesMiddleware(view))
    assert not iscoroutinefunction(StaticFilesMiddleware(lambda request: HttpResponse("ok")))
