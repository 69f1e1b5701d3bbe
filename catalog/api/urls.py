from django.urls import URLPattern, path
from rest_framework.parsers import MultiPartParser

from catalog.api.views import CategoryViewSet, ProductViewSet

# Explicit routes: the reads (list, retrieve) are coroutines, the writes plain sync actions.
urlpatterns: list[URLPattern] = [
    path("categories/", CategoryViewSet.as_view({"get": "list", "post": "create"}), name="category-list"),
    path(
        "categories/<uuid:pk>/",
        CategoryViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="category-detail",
    ),
    path("products/", ProductViewSet.as_view({"get": "list", "post": "create"}), name="product-list"),
    path(
        "products/<uuid:pk>/",
        ProductViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="product-detail",
    ),
    path(
        "products/<uuid:pk>/image/",
        ProductViewSet.as_view({"post": "upload_image"}, parser_classes=[MultiPartParser]),
        name="product-image",
    ),
]
