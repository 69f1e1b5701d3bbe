"""URLs that fail on purpose, mounted only by the error-envelope tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class Boom(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        raise RuntimeError("secret internal detail")


def plain_boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internal detail")


urlpatterns = [
    path("boom/", Boom.as_view()),
    path("plain-boom/", plain_boom),
    path("", include("config.urls")),
]
handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"
