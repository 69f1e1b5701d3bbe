"""Signals the catalog sends to the apps above it, which connect their receivers in their ``AppConfig.ready``."""

from django.dispatch import Signal

# Sent by ``catalog.services.product_create`` inside the transaction that creates the product, with
# ``product``, ``stock_quantity`` (the opening stock asked for) and ``actor``. Inventory records the opening
# stock in its ledger: the receiver runs in the same transaction, so a refused opening stock (a 400) rolls the
# product back too, and nothing is recorded if the creation rolls back. Sent with ``send``: an error propagates.
product_created = Signal()
