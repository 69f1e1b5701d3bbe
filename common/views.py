from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.health import health_report


class HealthView(APIView):
    """Liveness and dependencies: 200 while the database answers, 503 when it does not."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    @extend_schema(
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.CharField(),
                    "database": serializers.CharField(),
                    "cache": serializers.CharField(),
                    "broker": serializers.CharField(),
                },
            ),
            503: inline_serializer("HealthDown", {"status": serializers.CharField()}),
        },
        auth=[],
    )
    def get(self, request: Request) -> Response:
        healthy, report = health_report()
        return Response({"status": "ok" if healthy else "unavailable", **report}, status=200 if healthy else 503)
