from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from api.docs import redoc_view, swagger_view
from api.health import HealthView
from api.media import media_file
from api.metrics import metrics_view

api_v1 = [
    path("", include("checkout.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("carts.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("payments.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", swagger_view("schema"), name="swagger-ui"),
    path("api/redoc/", redoc_view("schema"), name="redoc"),
    path("admin/", admin.site.urls),
]
if settings.MEDIA_SERVE:
    urlpatterns.append(path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media_file, name="media"))

handler400 = "api.errors.bad_request"
handler403 = "api.errors.permission_denied"
handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"
