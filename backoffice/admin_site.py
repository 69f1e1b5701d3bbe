"""The back office: Django's admin site, with an index that starts from what needs attention."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse


class ShopAdminSite(admin.AdminSite):
    site_header = "Shop back office"
    site_title = "Shop back office"
    index_title = "What needs attention"
    index_template = "admin/shop_index.html"

    def attention(self, request: HttpRequest) -> list[dict[str, Any]]:
        """One line per pending chore the user may act on; a few aggregate queries, none per row."""
        from catalog.selectors import product_low_stock_count
        from emails.outbox import outbox_dead_count
        from orders.selectors import order_counts_to_handle

        user = request.user
        items: list[dict[str, Any]] = []
        if user.has_perm("orders.view_order"):
            orders_url = reverse("admin:orders_order_changelist", current_app=self.name)
            counts = order_counts_to_handle()
            items.append(
                {
                    "key": "to_process",
                    "label": "Paid orders to process",
                    "count": counts["to_process"],
                    "url": f"{orders_url}?status__exact=PAYMENT_CONFIRMED",
                }
            )
            items.append(
                {
                    "key": "to_ship",
                    "label": "Orders to ship",
                    "count": counts["to_ship"],
                    "url": f"{orders_url}?status__exact=PROCESSING",
                }
            )
        if user.has_perm("catalog.view_product"):
            items.append(
                {
                    "key": "low_stock",
                    "label": "Products low on stock",
                    "count": product_low_stock_count(),
                    "url": reverse("admin:catalog_product_changelist", current_app=self.name)
                    + "?stock=low&is_active__exact=1",
                }
            )
        if user.has_perm("emails.view_outboxmessage"):
            items.append(
                {
                    "key": "dead_outbox",
                    "label": "E-mails that could not be sent",
                    "count": outbox_dead_count(),
                    "url": reverse("admin:emails_outboxmessage_changelist", current_app=self.name)
                    + "?state__exact=dead",
                }
            )
        return items

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        context = {"attention": self.attention(request), **(extra_context or {})}
        return super().index(request, context)


class ShopAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``ShopAdminSite`` as ``admin.site``."""

    default_site = "backoffice.admin_site.ShopAdminSite"
