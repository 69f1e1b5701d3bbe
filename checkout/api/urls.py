from django.urls import path

from checkout.api import views

urlpatterns = [
    path("auth/token/", views.LoginView.as_view(), name="auth-token"),
    path("orders/", views.OrderListCreateView.as_view(), name="order-list"),
]
