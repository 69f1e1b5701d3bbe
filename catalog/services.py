"""Catalog writes. Each one owns its transaction and invalidates the public cache once it commits."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils.text import slugify
from PIL import Image, ImageOps

from catalog.cache import generations_bump
from catalog.errors import CatalogErrorCode, CategoryInUseError
from catalog.models import Category, Product
from catalog.references import product_is_kept, product_records_delete
from catalog.selectors import category_subtree_contains
from catalog.signals import product_created
from core.errors import DomainError, NotFoundError

if TYPE_CHECKING:
    from accounts.models import User

THUMBNAIL_SIZES = {"small": 200, "medium": 600}
# Serialises category moves so two concurrent moves cannot build a cycle the per-move check would miss.
_CATEGORY_TREE_LOCK = 7_301_001
_PRODUCT_FIELDS = ("name", "slug", "description", "price", "category", "attributes", "is_active")


def catalog_cache_invalidate(*, product_ids: Iterable[UUID] | None = None) -> None:
    """After commit, invalidate every cached list page and the given products' details.

    Safe inside a transaction (nothing happens if it rolls back); outside one it runs at once.
    """
    ids = [str(product_id) for product_id in product_ids or ()]
    transaction.on_commit(lambda: generations_bump(product_ids=ids))


# --- categories --------------------------------------------------------------------------------


def _slug_taken() -> DomainError:
    return DomainError("A sibling category already uses this slug.", code=CatalogErrorCode.SLUG_TAKEN, attr="slug")


def _check_sibling_slug(*, slug: str, parent: Category | None, exclude_id: UUID | None = None) -> None:
    siblings = Category.objects.filter(slug=slug, parent=parent)
    if exclude_id is not None:
        siblings = siblings.exclude(pk=exclude_id)
    if siblings.exists():
        raise _slug_taken()


def category_create(*, name: str, parent: Category | None = None, slug: str = "", is_active: bool = True) -> Category:
    slug = slug or slugify(name)[:140] or "category"
    try:
        with transaction.atomic():
            _check_sibling_slug(slug=slug, parent=parent)
            category = Category.objects.create(name=name, slug=slug, parent=parent, is_active=is_active)
            catalog_cache_invalidate()
    except IntegrityError as exc:
        raise _slug_taken() from exc
    return category


def category_update(*, category_id: UUID, data: Mapping[str, Any]) -> Category:
    """Rename or move a category. Moving it under itself or one of its descendants is a 400 ``category_cycle``.

    Moves take a transaction-level advisory lock: two concurrent moves (A under B, B under A) are checked
    one after the other, so the tree stays acyclic.
    """
    try:
        with transaction.atomic():
            if "parent" in data:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CATEGORY_TREE_LOCK])
            category = Category.objects.select_for_update().filter(pk=category_id).first()
            if category is None:
                raise NotFoundError()
            for field in ("name", "slug", "parent", "is_active"):
                if field in data:
                    setattr(category, field, data[field])
            # A blank slug means "derive it from the name", as on create; an empty slug is never stored.
            category.slug = category.slug or slugify(category.name)[:140] or "category"
            parent = category.parent
            if parent is not None and category_subtree_contains(root_id=category.pk, candidate_id=parent.pk):
                raise DomainError(
                    "A category cannot be moved under itself or one of its descendants.",
                    code=CatalogErrorCode.CATEGORY_CYCLE,
                    attr="parent",
                )
            _check_sibling_slug(slug=category.slug, parent=parent, exclude_id=category.pk)
            category.save()
            catalog_cache_invalidate()
    except IntegrityError as exc:
        raise _slug_taken() from exc
    return category


def _category_in_use() -> CategoryInUseError:
    return CategoryInUseError()


def category_delete(*, category_id: UUID) -> None:
    """Delete an empty category; one with products or subcategories is a 409 ``category_in_use``."""
    try:
        with transaction.atomic():
            category = Category.objects.select_for_update().filter(pk=category_id).first()
            if category is None:
                raise NotFoundError()
            if category.children.exists() or category.products.exists():
                raise _category_in_use()
            category.delete()
            catalog_cache_invalidate()
    except (ProtectedError, IntegrityError) as exc:
        # A product or child was added between the check and the delete.
        raise _category_in_use() from exc


def category_retire(*, category_id: UUID) -> bool:
    """Take a category out of the public catalog: deleted when empty, hidden when products or subcategories remain.

    Returns True when it was deleted, False when it was hidden.
    """
    try:
        category_delete(category_id=category_id)
    except CategoryInUseError:
        Category.objects.filter(pk=category_id).update(is_active=False)
        catalog_cache_invalidate()
        return False
    return True


# --- products ----------------------------------------------------------------------------------


def _unique_product_slug(name: str) -> str:
    base = slugify(name)[:200] or "product"
    slug = base
    while Product.objects.filter(slug=slug).exists():
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def _product_slug_taken() -> DomainError:
    return DomainError("Another product already uses this slug.", code=CatalogErrorCode.SLUG_TAKEN, attr="slug")


def product_create(*, data: Mapping[str, Any], stock_quantity: int = 0, actor: User | None = None) -> Product:
    """Create a product; its opening stock goes through the inventory ledger in the same transaction (the
    ``product_created`` signal, whose receiver runs inside this transaction)."""
    fields = {name: data[name] for name in _PRODUCT_FIELDS if name in data}
    fields["slug"] = fields.get("slug") or _unique_product_slug(fields["name"])
    try:
        with transaction.atomic():
            product = Product.objects.create(**fields, stock_quantity=0)
            product_created.send(sender=Product, product=product, stock_quantity=stock_quantity, actor=actor)
            catalog_cache_invalidate(product_ids=[product.pk])
    except IntegrityError as exc:
        raise _product_slug_taken() from exc
    return product


def product_update(*, product_id: UUID, data: Mapping[str, Any]) -> Product:
    """Update descriptive fields. Stock is never written here (``inventory/{id}/adjust/`` owns it)."""
    fields = [name for name in _PRODUCT_FIELDS if name in data]
    try:
        with transaction.atomic():
            product = Product.objects.defer("search_vector").filter(pk=product_id).first()
            if product is None:
                raise NotFoundError()
            for name in fields:
                setattr(product, name, data[name])
            if "slug" in fields and not product.slug:
                # A blank slug means "derive it from the name", as on create; an empty slug is never stored.
                product.slug = _unique_product_slug(product.name)
            # Only the named columns are written: a concurrent stock change is never overwritten.
            product.save(update_fields=[*fields, "updated_at"])
            catalog_cache_invalidate(product_ids=[product.pk])
    except IntegrityError as exc:
        raise _product_slug_taken() from exc
    product.refresh_from_db()
    return product


def product_delete(*, product_id: UUID) -> bool:
    """Delete a product, or only deactivate it when orders (or other records) still reference it.

    Whether something references it, and what goes with it (its ledger rows: a product that never sold has no
    history worth keeping), is for the apps holding those records to say (``catalog.references``).
    Returns True when the row was deleted, False when it was deactivated.
    """

    with transaction.atomic():
        product = Product.objects.select_for_update().defer("search_vector").filter(pk=product_id).first()
        if product is None:
            raise NotFoundError()
        catalog_cache_invalidate(product_ids=[product.pk])
        if not product_is_kept(product):
            try:
                with transaction.atomic():
                    product_records_delete(product)
                    product.delete()
                return True
            except (ProtectedError, IntegrityError):
                pass
        Product.objects.filter(pk=product.pk).update(is_active=False)
        return False


def product_image_set(*, product_id: UUID, image: UploadedFile) -> Product:
    """Store the original image; thumbnails are made by a task once the transaction commits."""
    from catalog.tasks import product_thumbnails_generate

    with transaction.atomic():
        product = Product.objects.select_for_update().defer("search_vector").filter(pk=product_id).first()
        if product is None:
            raise NotFoundError()
        product.image.save(f"{product.pk}/{image.name}", image, save=False)
        product.thumbnails = {}
        product.save(update_fields=["image", "thumbnails", "updated_at"])
        catalog_cache_invalidate(product_ids=[product.pk])
        image_name = product.image.name
        transaction.on_commit(
            lambda: product_thumbnails_generate.delay(product_id=str(product.pk), image_name=image_name)
        )
    return product


def product_thumbnails_make(*, product_id: UUID | str, image_name: str) -> dict[str, str]:
    """Render the thumbnails of ``image_name`` and record them, unless the image has been replaced meanwhile."""
    with default_storage.open(image_name, "rb") as source:
        original = ImageOps.exif_transpose(Image.open(source))
        original.load()
    thumbnails: dict[str, str] = {}
    for label, size in THUMBNAIL_SIZES.items():
        thumbnail = original.convert("RGB")
        thumbnail.thumbnail((size, size))
        buffer = io.BytesIO()
        thumbnail.save(buffer, format="JPEG", quality=85, optimize=True)
        path = f"products/thumbnails/{product_id}/{label}.jpg"
        if default_storage.exists(path):
            default_storage.delete(path)
        thumbnails[label] = default_storage.save(path, ContentFile(buffer.getvalue()))
    with transaction.atomic():
        updated = Product.objects.filter(pk=product_id, image=image_name).update(thumbnails=thumbnails)
        if updated:
            catalog_cache_invalidate(product_ids=[UUID(str(product_id))])
    return thumbnails
