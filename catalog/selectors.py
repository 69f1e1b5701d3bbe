"""Catalog reads. Querysets are built synchronously (no I/O) and evaluated with the async ORM by the views.

Public reads may come from a replica (``core.replicas``): the cached list and detail fills opt in in
``catalog.cache`` (with its WAL-position guard), the single-object reads here with ``@replica_read``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db.models import F, QuerySet
from django.http import QueryDict

from catalog.filters import category_subtree_ids, product_filter
from catalog.models import Category, Product
from core.replicas import replica_read

SEARCH_CONFIG = "english"
DEFAULT_ORDERING = ("-created_at", "-id")
ORDERINGS: dict[str, tuple[str, ...]] = {
    "price": ("price", "id"),
    "-price": ("-price", "id"),
    "name": ("name", "id"),
    "-created_at": DEFAULT_ORDERING,
}
# The stored tsvector is large and never rendered.
_UNRENDERED = ("search_vector",)


def product_queryset(*, include_inactive: bool) -> QuerySet[Product]:
    queryset = Product.objects.defer(*_UNRENDERED)
    return queryset if include_inactive else queryset.filter(is_active=True)


@replica_read
async def product_get(*, product_id: UUID, include_inactive: bool) -> Product | None:
    return await product_queryset(include_inactive=include_inactive).filter(pk=product_id).afirst()


@dataclass(frozen=True)
class ProductSearch:
    """A validated product query: ``queryset`` is filtered and ordered but not evaluated."""

    queryset: QuerySet[Product]
    cleaned: dict[str, Any]
    # Set when a full-text search was requested: the trigram query to use if the full-text one finds nothing.
    fallback: QuerySet[Product] | None = None


def product_search(*, params: QueryDict, include_inactive: bool) -> ProductSearch:
    """Validate ``params`` (400 on a bad value) and build the ordered queryset.

    ``search`` uses websearch syntax (quotes, OR, -exclusion) on the stored vector, ranked with ts_rank_cd
    unless another ordering is asked for; ``relevance`` without ``search`` means the default order.
    """
    filtered, cleaned = product_filter(params, product_queryset(include_inactive=include_inactive))
    ordering = cleaned.get("ordering")
    explicit = ORDERINGS.get(ordering or "")
    term = cleaned.get("search")
    if not term:
        return ProductSearch(filtered.order_by(*(explicit or DEFAULT_ORDERING)), cleaned)

    query = SearchQuery(term, search_type="websearch", config=SEARCH_CONFIG)
    full_text = filtered.filter(search_vector=query)
    fuzzy = filtered.filter(name__trigram_word_similar=term)
    if explicit:
        return ProductSearch(full_text.order_by(*explicit), cleaned, fuzzy.order_by(*explicit))
    ranked = full_text.annotate(rank=SearchRank(F("search_vector"), query, cover_density=True))
    similar = fuzzy.annotate(similarity=TrigramWordSimilarity(term, "name"))
    return ProductSearch(
        ranked.order_by("-rank", *DEFAULT_ORDERING),
        cleaned,
        similar.order_by("-similarity", *DEFAULT_ORDERING),
    )


def category_queryset() -> QuerySet[Category]:
    """The public category list: hidden categories (``is_active=False``) are left out."""
    return Category.objects.filter(is_active=True).order_by("name", "id")


@replica_read
async def category_get(*, category_id: UUID) -> Category | None:
    return await category_queryset().filter(pk=category_id).afirst()


def category_subtree_contains(*, root_id: UUID, candidate_id: UUID) -> bool:
    """Whether ``candidate_id`` is ``root_id`` or one of its descendants."""
    return Category.objects.filter(pk=candidate_id, pk__in=category_subtree_ids(root_id)).exists()


def product_low_stock_count() -> int:
    """Products for sale at or below their low-stock threshold (one count query)."""
    return Product.objects.filter(is_active=True, stock_quantity__lte=F("low_stock_threshold")).count()
