"""Seed the peer shop (run in the peer's own virtual environment): products, stock, a shipping country, customers.

python bench/oscar_peer/seed.py --products 100000 --customers 32   → prints one JSON line (ids and tokens)
"""

import argparse
import json
import os
import random
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oscar_shop.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from oscar.apps.address.models import Country  # noqa: E402
from oscar.apps.catalogue.models import Category, Product, ProductCategory, ProductClass  # noqa: E402
from oscar.apps.partner.models import Partner, StockRecord  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

BATCH = 5_000


def seed_products(count: int, seed: int) -> None:
    have = Product.objects.count()
    if have >= count:
        return
    rng = random.Random(seed)
    product_class, _ = ProductClass.objects.get_or_create(
        name="Goods", defaults={"slug": "goods", "requires_shipping": False, "track_stock": True}
    )
    partner, _ = Partner.objects.get_or_create(name="Shop")
    categories = list(Category.objects.all()[:60])
    if not categories:
        categories = [Category.add_root(name=f"Category {n}", slug=f"category-{n}") for n in range(60)]
    for start in range(have, count, BATCH):
        products = Product.objects.bulk_create(
            Product(
                structure=Product.STANDALONE,
                product_class=product_class,
                title=f"Product {n}",
                slug=f"product-{n}",
                upc=f"UPC{n:09d}",
                description=f"Description of product {n}",
                is_public=True,
            )
            for n in range(start, min(start + BATCH, count))
        )
        StockRecord.objects.bulk_create(
            StockRecord(
                product=product,
                partner=partner,
                partner_sku=product.upc,
                price=Decimal(rng.randint(100, 100_000)) / 100,
                num_in_stock=1_000_000,
            )
            for product in products
        )
        ProductCategory.objects.bulk_create(
            ProductCategory(product=product, category=rng.choice(categories)) for product in products
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=32)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    seed_products(args.products, args.seed)
    Country.objects.update_or_create(
        iso_3166_1_a2="NL",
        defaults={
            "iso_3166_1_a3": "NLD",
            "iso_3166_1_numeric": "528",
            "printable_name": "Netherlands",
            "name": "Netherlands",
            "is_shipping_country": True,
        },
    )
    User = get_user_model()
    tokens = []
    for n in range(args.customers):
        user, created = User.objects.get_or_create(
            username=f"peer-customer-{n}", defaults={"email": f"peer-customer-{n}@example.com"}
        )
        if created:
            user.set_unusable_password()
            user.save()
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    ids = list(Product.objects.order_by("id").values_list("id", flat=True)[:1000])
    print(json.dumps({"product_ids": ids, "tokens": tokens}))


if __name__ == "__main__":
    main()
