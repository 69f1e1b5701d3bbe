from django.urls import path

from orders.api import views

urlpatterns = [
    path("orders/<uuid:order_id>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<uuid:order_id>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path("orders/<uuid:order_id>/status/", views.OrderStatusView.as_view(), name="order-status"),
]
