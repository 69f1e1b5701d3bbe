"""Catalog reads. Querysets are built synchronously (no I/O) and evaluated with the async ORM by the views.

Public reads may come from a replica (``core.replicas``): the cached list and detail fills opt in in
``catalog.cache`` (with its WAL-position guard), the single-object reads here with ``@replica_read``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection
from django.db.models import Count, F, QuerySet, Window
from django.http import QueryDict
from django_cte import CTE, with_cte

from catalog.filters import category_subtree_ids, product_filter
from catalog.models import Category, Product
from core.replicas import replica_read

SEARCH_CONFIG = "english"
DEFAULT_ORDERING = ("-created_at", "-id")
ORDERINGS: dict[str, tuple[str, ...]] = {
    "price": ("price", "id"),
    # Ties newest-id first, so that one index on (price, id) serves both directions.
    "-price": ("-price", "-id"),
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
    # What to count when it is not ``queryset`` itself (a ranked window counts the matches, not the window).
    counted: QuerySet[Product] | None = None
    # At most this many rows can be paged through (relevance ranks a bounded set of matches).
    window: int | None = None
    # Read the page's ids first (an index-only scan where a list index covers the filters), then its rows.
    ids_first: bool = False
    # The rows' attribute holding the window's match count (see ``_ranked_window``).
    counted_attr: str | None = None


def product_search(*, params: QueryDict, include_inactive: bool) -> ProductSearch:
    """Validate ``params`` (400 on a bad value) and build the ordered queryset.

    ``search`` uses websearch syntax (quotes, OR, -exclusion) on the stored vector, ranked with ts_rank_cd
    unless another ordering is asked for; ``relevance`` without ``search`` means the default order.

    Relevance is ranked over at most ``CATALOG_COUNT_CAP`` matches, the first ones the GIN index yields: a
    page's cost then stays bounded however many products match (a search matching more says so with an
    inexact count; terms or filters narrow it). Matches within the cap are ranked exactly.
    """
    filtered, cleaned = product_filter(params, product_queryset(include_inactive=include_inactive))
    ordering = cleaned.get("ordering")
    explicit = ORDERINGS.get(ordering or "")
    term = cleaned.get("search")
    if not term:
        return ProductSearch(filtered.order_by(*(explicit or DEFAULT_ORDERING)), cleaned, ids_first=True)

    query = SearchQuery(term, search_type="websearch", config=SEARCH_CONFIG)
    full_text = filtered.filter(search_vector=query)
    fuzzy = filtered.filter(name__trigram_word_similar=term)
    if explicit:
        return ProductSearch(full_text.order_by(*explicit), cleaned, fuzzy.order_by(*explicit))
    window = int(settings.CATALOG_COUNT_CAP)
    similar = fuzzy.annotate(similarity=TrigramWordSimilarity(term, "name"))
    return ProductSearch(
        _ranked_window(full_text, query, size=window),
        cleaned,
        similar.order_by("-similarity", *DEFAULT_ORDERING),
        counted=full_text,
        window=window,
        counted_attr="window_matches",
    )


def _ranked_window(matches: QuerySet[Product], query: SearchQuery, *, size: int) -> QuerySet[Product]:
    """The first ``size`` + 1 matches, ranked, each row carrying how many there were (``window_matches``):
    ``WITH w AS (SELECT ... LIMIT size + 1) SELECT *, count(*) OVER () FROM w ORDER BY rank``.

    The rows are read once, by the bitmap scan of the GIN index; the sort only ever holds ``size`` + 1 of them;
    the count comes with the page (the extra match says that more match, the page shows at most ``size``).
    """
    ranked = matches.annotate(rank=SearchRank(F("search_vector"), query, cover_density=True)).order_by()
    window = CTE(ranked[: size + 1], name="ranked")
    rows = (
        window.queryset()
        .annotate(window_matches=Window(Count("*")))
        .order_by(window.col.rank.desc(), window.col.created_at.desc(), window.col.id.desc())
    )
    return with_cte(window, select=rows)


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


# In the model's field order, as ``Model.from_db`` expects them.
_SNAPSHOT_FIELDS = [
    field.attname
    for field in Product._meta.concrete_fields
    if field.attname in {"id", "name", "price", "is_active", "stock_quantity"}
]


def product_snapshots(*, product_ids: list[UUID]) -> dict[UUID, Product]:
    """Id, name, price, availability and stock of the given products, unlocked (what an order is priced from).

    One plain statement built without the ORM's query compiler: it is on every order's path, where compiling the
    equivalent queryset cost more CPU than the query itself. Unknown ids are absent.
    """
    columns = ", ".join(connection.ops.quote_name(name) for name in _SNAPSHOT_FIELDS)  # attname == column here
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {Product._meta.db_table} WHERE id = ANY(%s::uuid[])",  # noqa: S608
            [product_ids],
        )
        rows = cursor.fetchall()
    return {row[0]: Product.from_db(connection.alias, _SNAPSHOT_FIELDS, row) for row in rows}
