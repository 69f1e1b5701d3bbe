from typing import Any

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Product
from inventory.selectors import inventory_mismatches


class Command(BaseCommand):
    help = "Verify sum(stock_movements.delta) == products.stock_quantity for every product; exit 1 on a mismatch."

    def handle(self, *args: Any, **options: Any) -> None:
        mismatches = inventory_mismatches()
        checked = Product.objects.count()
        if not mismatches:
            self.stdout.write(self.style.SUCCESS(f"Ledger reconciles for all {checked} products."))
            return
        self.stderr.write(f"{'product':<38} {'name':<30} {'stock':>8} {'ledger':>8}")
        for m in mismatches:
            self.stderr.write(f"{m.product_id!s:<38} {m.name[:30]:<30} {m.stock_quantity:>8} {m.ledger_total:>8}")
        raise CommandError(f"{len(mismatches)} of {checked} products do not match their stock ledger.")
