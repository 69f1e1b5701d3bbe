"""Seed a realistic, reproducible catalog: a 3-level category tree, products and their opening stock.

Rows are streamed with COPY in batches (one transaction per batch, products and their ``initial`` ledger rows
together), so memory stays flat whatever ``--products`` is and ``sum(delta) == stock_quantity`` holds for every
product at every moment.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker
from tqdm import tqdm

from catalog.demo import demo_images_schedule
from catalog.models import Category, Product
from catalog.references import product_is_kept
from catalog.services import catalog_cache_invalidate
from inventory.models import MovementReason, StockMovement

DEPARTMENTS = ["Clothing", "Shoes", "Accessories", "Sports", "Home", "Outdoor", "Kids", "Beauty", "Electronics"]
GROUPS = ["Men", "Women", "Unisex", "Essentials", "Premium", "Sale", "New In", "Basics", "Travel"]
TYPES = [
    "Hoodies", "T-Shirts", "Jackets", "Jeans", "Sweaters", "Dresses", "Sneakers", "Boots", "Sandals", "Bags",
    "Hats", "Scarves", "Gloves", "Socks", "Shorts", "Shirts", "Coats", "Backpacks", "Belts", "Watches",
]  # fmt: skip
NOUNS = [
    "Hoodie", "T-Shirt", "Jacket", "Jeans", "Sweater", "Dress", "Sneakers", "Boots", "Sandals", "Bag", "Hat",
    "Scarf", "Gloves", "Socks", "Shorts", "Shirt", "Coat", "Backpack", "Belt", "Watch", "Parka", "Cardigan",
]  # fmt: skip
ADJECTIVES = [
    "Classic", "Slim", "Relaxed", "Vintage", "Urban", "Everyday", "Lightweight", "Warm", "Waterproof", "Soft",
    "Oversized", "Essential", "Premium", "Sport", "Casual", "Rugged", "Cozy", "Modern", "Retro", "Technical",
]  # fmt: skip
MATERIALS = ["cotton", "wool", "linen", "denim", "leather", "polyester", "cashmere", "fleece", "nylon", "silk"]
COLORS = ["black", "white", "red", "blue", "green", "grey", "navy", "beige", "brown", "pink", "yellow", "olive"]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
DESCRIPTION_POOL = 2_000
DEFAULT_BATCH = 5_000

PRODUCT_COLUMNS = (
    "id", "created_at", "updated_at", "name", "slug", "description", "price", "stock_quantity",
    "low_stock_threshold", "category_id", "attributes", "is_active", "image", "thumbnails",
)  # fmt: skip
MOVEMENT_COLUMNS = ("id", "created_at", "updated_at", "product_id", "delta", "reason", "order_id", "actor_id")


@dataclass
class Totals:
    products: int = 0
    active: int = 0
    in_stock: int = 0
    units: int = 0
    movements: int = 0
    per_level: dict[int, int] = field(default_factory=dict)
    product_ids: list[uuid.UUID] | None = None  # kept only when pictures are queued for them
    image_tasks: int = 0


class Command(BaseCommand):
    help = "Seed categories and products (deterministic for a given --seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--products", type=int, default=1_000)
        parser.add_argument("--categories", type=int, default=40, help="Total categories over 3 levels (≥ 3).")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
        parser.add_argument(
            "--replace", action="store_true", help="Delete the existing catalog first (refused if orders exist)."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (and succeed) when the catalog already has rows."
        )
        parser.add_argument(
            "--images", action="store_true", help="Queue a generated picture (and its thumbnails) for every product."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        products, categories = options["products"], options["categories"]
        if products < 0 or categories < 3 or options["batch_size"] < 1:
            raise CommandError("Need --products ≥ 0, --categories ≥ 3 and --batch-size ≥ 1.")
        started = time.perf_counter()
        rng = random.Random(options["seed"])  # noqa: S311 - reproducible sample data, not secrets
        fake = Faker()
        fake.seed_instance(options["seed"])
        if options["replace"]:
            self._clear()
        elif Product.objects.exists() or Category.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The catalog is not empty: nothing seeded.")
                return
            raise CommandError("The catalog is not empty: pass --replace to start over.")

        totals = Totals(product_ids=[] if options["images"] else None)
        leaves = self._seed_categories(rng, categories, totals)
        descriptions = [fake.paragraph(nb_sentences=4) for _ in range(DESCRIPTION_POOL)]
        self._seed_products(rng, descriptions, leaves, products, options["batch_size"], totals)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE products; ANALYZE categories; ANALYZE stock_movements")
        catalog_cache_invalidate()
        if options["images"]:
            totals.image_tasks = demo_images_schedule(product_ids=totals.product_ids or [])
        self._summary(totals, time.perf_counter() - started)

    def _clear(self) -> None:
        if product_is_kept(None):
            raise CommandError("Orders reference the catalog: refusing to delete it.")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM stock_movements")
            cursor.execute("DELETE FROM products")
            # Children first: parents are protected while they have children.
            cursor.execute(
                "WITH RECURSIVE tree AS (SELECT id, 0 AS depth FROM categories WHERE parent_id IS NULL "
                "UNION ALL SELECT c.id, t.depth + 1 FROM categories c JOIN tree t ON c.parent_id = t.id) "
                "SELECT id FROM tree ORDER BY depth DESC"
            )
            for (category_id,) in cursor.fetchall():
                Category.objects.filter(pk=category_id).delete()

    def _seed_categories(self, rng: random.Random, total: int, totals: Totals) -> list[uuid.UUID]:
        """Roots, then groups under them, then product types under the groups (about 1 : 3 : 6)."""
        roots = max(1, round(total * 0.1))
        middles = max(1, round(total * 0.3))
        leaves = max(1, total - roots - middles)
        now = timezone.now()
        created: list[list[Category]] = [[], [], []]
        levels = [(roots, DEPARTMENTS), (middles, GROUPS), (leaves, TYPES)]
        for depth, (count, words) in enumerate(levels):
            for index in range(count):
                parent = None if depth == 0 else created[depth - 1][index % len(created[depth - 1])]
                name = words[index % len(words)]
                if index >= len(words):
                    name = f"{name} {index // len(words) + 1}"
                created[depth].append(
                    Category(
                        id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        name=name,
                        slug=slugify(name),
                        parent=parent,
                        created_at=now,
                        updated_at=now,
                    )
                )
            Category.objects.bulk_create(created[depth])
            totals.per_level[depth + 1] = count
        return [category.pk for category in created[2]]

    def _product_rows(
        self, rng: random.Random, descriptions: list[str], leaves: list[uuid.UUID], count: int
    ) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...] | None]]:
        now = timezone.now()
        for index in range(count):
            product_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            noun = rng.choice(NOUNS)
            material = rng.choice(MATERIALS)
            name = f"{rng.choice(ADJECTIVES)} {material.title()} {noun}"
            attributes = {"color": rng.choice(COLORS), "size": rng.choice(SIZES), "material": material}
            price = Decimal(round(rng.lognormvariate(3.6, 0.7), 2)).quantize(Decimal("0.01"))
            stock = 0 if rng.random() < 0.08 else rng.randint(1, 200)
            created = now - timedelta(seconds=rng.randint(0, 365 * 24 * 3600))
            product = (
                product_id, created, created, name, f"{slugify(name)}-{index}", rng.choice(descriptions),
                price, stock, 5, rng.choice(leaves), json.dumps(attributes), rng.random() > 0.03, "", "{}",
            )  # fmt: skip
            movement = None
            if stock:
                movement = (
                    uuid.UUID(int=rng.getrandbits(128), version=4), created, created, product_id, stock,
                    MovementReason.INITIAL.value, None, None,
                )  # fmt: skip
            yield product, movement

    def _seed_products(
        self,
        rng: random.Random,
        descriptions: list[str],
        leaves: list[uuid.UUID],
        count: int,
        batch_size: int,
        totals: Totals,
    ) -> None:
        rows = self._product_rows(rng, descriptions, leaves, count)
        product_sql = f"COPY {Product._meta.db_table} ({', '.join(PRODUCT_COLUMNS)}) FROM STDIN"
        movement_sql = f"COPY {StockMovement._meta.db_table} ({', '.join(MOVEMENT_COLUMNS)}) FROM STDIN"
        with tqdm(total=count, unit="product", disable=count == 0) as progress:
            remaining = count
            while remaining:
                size = min(batch_size, remaining)
                batch = [next(rows) for _ in range(size)]
                with transaction.atomic():
                    connection.ensure_connection()
                    raw = connection.connection
                    assert raw is not None
                    with raw.cursor() as cursor:
                        with cursor.copy(product_sql) as copy:
                            for product, _ in batch:
                                copy.write_row(product)
                        with cursor.copy(movement_sql) as copy:
                            for _, movement in batch:
                                if movement is not None:
                                    copy.write_row(movement)
                for product, movement in batch:
                    totals.products += 1
                    if totals.product_ids is not None:
                        totals.product_ids.append(product[0])
                    totals.active += bool(product[11])
                    totals.in_stock += bool(product[7])
                    totals.units += product[7]
                    totals.movements += movement is not None
                remaining -= size
                progress.update(size)

    def _summary(self, totals: Totals, elapsed: float) -> None:
        rows = [
            ("categories (level 1 / 2 / 3)", " / ".join(str(totals.per_level.get(i, 0)) for i in (1, 2, 3))),
            ("products", f"{totals.products:,}"),
            ("active", f"{totals.active:,}"),
            ("in stock", f"{totals.in_stock:,}"),
            ("stock units", f"{totals.units:,}"),
            ("ledger rows (initial)", f"{totals.movements:,}"),
            ("image tasks queued", f"{totals.image_tasks:,}"),
            ("elapsed", f"{elapsed:.1f} s"),
            ("products / s", f"{totals.products / elapsed:,.0f}" if elapsed else "-"),
        ]
        width = max(len(label) for label, _ in rows)
        value_width = max(len(value) for _, value in rows)
        border = f"+-{'-' * width}-+-{'-' * value_width}-+"
        self.stdout.write(border)
        for label, value in rows:
            self.stdout.write(f"| {label:<{width}} | {value:>{value_width}} |")
        self.stdout.write(border)
