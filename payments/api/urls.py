from django.urls import path

from payments.api import views

urlpatterns = [
    path("orders/<uuid:order_id>/pay/", views.OrderPayView.as_view(), name="order-pay"),
    path("payments/webhooks/<str:provider>/", views.PaymentWebhookView.as_view(), name="payment-webhook"),
]
