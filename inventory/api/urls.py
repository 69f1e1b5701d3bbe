from django.urls import path

from inventory.api import views

urlpatterns = [
    path("inventory/low-stock/", views.LowStockListView.as_view(), name="inventory-low-stock"),
    path("inventory/<uuid:product_id>/adjust/", views.StockAdjustView.as_view(), name="inventory-adjust"),
    path("inventory/<uuid:product_id>/movements/", views.StockMovementListView.as_view(), name="inventory-movements"),
]
