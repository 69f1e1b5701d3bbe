from django.urls import path

from carts.api import views

urlpatterns = [
    path("cart/", views.CartDetailView.as_view(), name="cart-detail"),
    path("cart/items/", views.CartItemListView.as_view(), name="cart-item-list"),
    path("cart/items/<uuid:product_id>/", views.CartItemDetailView.as_view(), name="cart-item-detail"),
    path("cart/merge/", views.CartMergeView.as_view(), name="cart-merge"),
]
