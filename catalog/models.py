from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q

from core.models import BaseModel


class Category(BaseModel):
    """Adjacency list: ``parent`` points up; "in category X" means X or any descendant."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # A hidden category is left out of the public category list and detail (its products stay as they are).
    is_active = models.BooleanField(default=True, db_default=True)

    class Meta:
        db_table = "categories"
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["parent", "slug"], name="categories_slug_unique_per_parent"),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(parent__isnull=True), name="categories_root_slug_unique"
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="categories_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


# What the list indexes carry besides their keys: the columns the common filters test.
COVERED = ["stock_quantity", "attributes"]


class Product(BaseModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    # Changed only through inventory.services, which also writes the StockMovement ledger.
    stock_quantity = models.IntegerField(default=0)
    low_stock_threshold = models.PositiveIntegerField(default=5)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    attributes = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    image = models.ImageField(upload_to="products/", blank=True)
    thumbnails = models.JSONField(default=dict, blank=True)
    # Kept current by PostgreSQL itself; the explicit config makes the expression immutable.
    search_vector = models.GeneratedField(
        expression=SearchVector("name", weight="A", config="english")
        + SearchVector("description", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        db_table = "products"
        ordering = ["-created_at"]
        indexes = [
            GinIndex(fields=["attributes"], name="products_attributes_gin"),
            GinIndex(fields=["search_vector"], name="products_search_gin"),
            # Serves the typo-tolerant fallback search (``word <% name``) without a scan.
            GinIndex(fields=["name"], name="products_name_trgm", opclasses=["gin_trgm_ops"]),
            models.Index(fields=["price"], name="products_price_idx"),
            # The public list's orderings, alone and within a category: the page is read off the index in order
            # (partial: the public reads only ever ask for active products). The stock and attributes they carry
            # let the in-stock, colour and size filters be checked in the index: a page's ids come from an
            # index-only scan, and only its own rows are read from the table.
            models.Index(
                fields=["-created_at", "-id"],
                name="products_active_newest",
                condition=Q(is_active=True),
                include=COVERED,
            ),
            models.Index(
                fields=["price", "id"], name="products_active_price", condition=Q(is_active=True), include=COVERED
            ),
            models.Index(fields=["name", "id"], name="products_active_name", condition=Q(is_active=True)),
            models.Index(
                fields=["category", "-created_at", "-id"],
                name="products_active_cat_newest",
                condition=Q(is_active=True),
                include=COVERED,
            ),
            models.Index(
                fields=["category", "price", "id"],
                name="products_active_cat_price",
                condition=Q(is_active=True),
                include=COVERED,
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="products_price_non_negative"),
            models.CheckConstraint(condition=Q(stock_quantity__gte=0), name="products_stock_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name
