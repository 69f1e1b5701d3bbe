"""Fire real concurrent HTTP orders at a running server and prove nothing was oversold.

The command prepares its own products and buyers directly in the database the server uses (so
``DATABASE_URL`` must point at the same database as the server under test), mints JWT access
tokens for the buyers, then sends ``POST /api/v1/orders/`` from a pool of threads, each with its
own keep-alive connection. Afterwards it reads the final stock, reconciles the ledger of every
product and reads the deadlock counter of ``pg_stat_database``.

Nothing is prepared unless the server answers first (``cannot connect to <url>`` otherwise), and the stress
products are taken out of the public catalog when the run ends, however it ends: deleted if they never sold,
deactivated otherwise (``catalog.services.product_delete``), so they never head the shop's product list. Their
"Stress test" category is hidden from the public category list while it exists, and goes the same way: deleted
when the run leaves it empty, kept hidden otherwise (``catalog.services.category_retire``).
"""

from __future__ import annotations

import http.client
import json
import random
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role, User
from catalog.models import Category, Product
from catalog.services import category_retire, product_delete
from inventory.selectors import inventory_mismatches
from inventory.services import stock_initialize


@dataclass
class Attempt:
    status: int
    latency: float
    lines: dict[UUID, int]


@dataclass
class StressReport:
    scenario: str
    attempts: list[Attempt]
    elapsed: float
    initial_stock: dict[UUID, int]
    final_stock: dict[UUID, int]
    ledger_reconciled: bool
    deadlocks: int
    transport_errors: int
    sold: dict[UUID, int] = field(default_factory=dict)

    @property
    def counts(self) -> Counter[str]:
        buckets: Counter[str] = Counter()
        for a in self.attempts:
            if 200 <= a.status < 300:
                buckets["succeeded"] += 1
            elif a.status == 409:
                buckets["409"] += 1
            elif 400 <= a.status < 500:
                buckets["other_4xx"] += 1
            elif a.status >= 500:
                buckets["5xx"] += 1
        return buckets

    @property
    def oversold(self) -> int:
        # Units confirmed to buyers beyond what existed, plus any unit the database lost track of.
        over_confirmed = sum(max(0, self.sold.get(pid, 0) - stock) for pid, stock in self.initial_stock.items())
        unaccounted = sum(
            max(0, self.initial_stock[pid] - self.final_stock[pid] - self.sold.get(pid, 0))
            for pid in self.initial_stock
        )
        return over_confirmed + unaccounted

    def percentile(self, q: float) -> float:
        latencies = sorted(a.latency for a in self.attempts)
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, round(q * (len(latencies) - 1)))]

    @property
    def failed(self) -> bool:
        return self.oversold > 0 or self.counts["5xx"] > 0 or not self.ledger_reconciled or self.transport_errors > 0

    def failures(self, url: str) -> list[str]:
        """What went wrong, in words; only what actually happened."""
        if self.transport_errors and not self.attempts:
            return [f"cannot connect to {url} (no request got an answer)"]
        counts = self.counts
        found = [
            f"{self.oversold} units oversold" if self.oversold else "",
            f"{counts['5xx']} responses were 5xx" if counts["5xx"] else "",
            f"{self.transport_errors} requests got no answer" if self.transport_errors else "",
            "" if self.ledger_reconciled else "the stock ledger does not reconcile",
        ]
        return [failure for failure in found if failure]

    def rows(self) -> list[tuple[str, str]]:
        counts = self.counts
        return [
            ("scenario", self.scenario),
            ("requests", str(len(self.attempts))),
            ("succeeded", str(counts["succeeded"])),
            ("409 conflicts", str(counts["409"])),
            ("other 4xx", str(counts["other_4xx"])),
            ("5xx", str(counts["5xx"])),
            ("transport errors", str(self.transport_errors)),
            ("final stock", ", ".join(str(self.final_stock[p]) for p in self.initial_stock)),
            ("oversold units", str(self.oversold)),
            ("ledger reconciled", "yes" if self.ledger_reconciled else "NO"),
            ("deadlocks", str(self.deadlocks)),
            ("latency p50", f"{self.percentile(0.50) * 1000:.1f} ms"),
            ("latency p95", f"{self.percentile(0.95) * 1000:.1f} ms"),
            ("latency p99", f"{self.percentile(0.99) * 1000:.1f} ms"),
            ("orders/s (succeeded)", f"{counts['succeeded'] / self.elapsed:.1f}" if self.elapsed else "-"),
            ("requests/s", f"{len(self.attempts) / self.elapsed:.1f}" if self.elapsed else "-"),
        ]


def deadlock_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


STRESS_CATEGORY_SLUG = "stress-test"


def stress_products_create(*, count: int, stock: int, run_id: str) -> list[Product]:
    # Hidden from the start: the public category list never shows it, even during a run.
    category, _ = Category.objects.get_or_create(
        slug=STRESS_CATEGORY_SLUG, parent=None, defaults={"name": "Stress test", "is_active": False}
    )
    products = []
    for index in range(count):
        product = Product.objects.create(
            name=f"Stress item {run_id}-{index}",
            slug=f"stress-{run_id}-{index}",
            price=Decimal("9.99"),
            category=category,
            # Keep the stress run from mailing managers about its own products.
            low_stock_threshold=0,
        )
        stock_initialize(product=product, quantity=stock)
        products.append(product)
    return products


def stress_products_retire(*, product_ids: list[UUID]) -> None:
    """Take the run's products out of the public catalog: deleted when unsold, deactivated when orders hold them;
    then their category: deleted when empty, hidden when kept products (this run's or another's) remain."""
    for product_id in product_ids:
        product_delete(product_id=product_id)
    category = Category.objects.filter(slug=STRESS_CATEGORY_SLUG, parent=None).first()
    if category is not None:
        category_retire(category_id=category.pk)


def server_check(url: str, timeout: float = 5.0) -> None:
    """Refuse to start (``cannot connect to <url>``) unless an HTTP server answers at ``url``."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise CommandError(f"Not an http(s) URL: {url}")
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), timeout=timeout)
    try:
        conn.request("GET", f"{parts.path.rstrip('/')}/healthz")
        conn.getresponse().read()
    except (OSError, http.client.HTTPException) as exc:
        raise CommandError(
            f"cannot connect to {url} ({exc.__class__.__name__}: {exc}). Start the server (make run) or pass --url."
        ) from None
    finally:
        conn.close()


def stress_buyers_create(*, count: int, run_id: str) -> list[tuple[User, str]]:
    users = [User(email=f"stress-{run_id}-{i}@example.com", role=Role.CUSTOMER, is_verified=True) for i in range(count)]
    for user in users:
        # Buyers authenticate with minted tokens only; nobody can log in as them.
        user.set_unusable_password()
    User.objects.bulk_create(users)
    return [(user, str(RefreshToken.for_user(user).access_token)) for user in users]


class HttpOrderClient:
    """One keep-alive HTTP connection per thread."""

    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise CommandError(f"Not an http(s) URL: {base_url}")
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = cls(self.host, self.port, timeout=self.timeout)
            self.local.conn = conn
        return conn

    def post_order(self, *, token: str, lines: list[tuple[UUID, int]]) -> int:
        body = json.dumps({"items": [{"product_id": str(p), "quantity": q} for p, q in lines]})
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn = self._connection()
        try:
            conn.request("POST", f"{self.prefix}/api/v1/orders/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            # Never resend: the server may have placed the order. Count it and reconnect next time.
            conn.close()
            self.local.conn = None
            raise
        return response.status


def _progress(total: int, enabled: bool) -> tuple[Callable[[], None], Callable[[], None]]:
    if not enabled:
        return (lambda: None), (lambda: None)
    try:
        from tqdm import tqdm
    except ImportError:
        done = [0]
        lock = threading.Lock()

        def tick() -> None:
            with lock:
                done[0] += 1
                if done[0] % max(1, total // 20) == 0 or done[0] == total:
                    print(f"\r{done[0]}/{total} requests", end="", flush=True)

        return tick, lambda: print()
    bar = tqdm(total=total, unit="req", desc="orders")
    return (lambda: bar.update(1)), bar.close


def stress_run(
    *,
    url: str,
    scenario: str,
    products: int,
    stock: int,
    buyers: int,
    requests: int,
    concurrency: int,
    max_lines: int,
    max_quantity: int,
    timeout: float = 30.0,
    seed: int | None = None,
    progress: bool = True,
) -> StressReport:
    """Prepare the data, fire the requests, measure; the caller decides how to report."""
    rng = random.Random(seed)  # noqa: S311 - load generation, not security
    server_check(url, timeout)
    run_id = secrets.token_hex(4)
    created = stress_products_create(count=1 if scenario == "last-item" else products, stock=stock, run_id=run_id)
    product_ids = [p.pk for p in created]
    try:
        return _stress_fire(
            url=url,
            scenario=scenario,
            product_ids=product_ids,
            stock=stock,
            buyers=buyers,
            requests=requests,
            concurrency=concurrency,
            max_lines=max_lines,
            max_quantity=max_quantity,
            timeout=timeout,
            rng=rng,
            run_id=run_id,
            progress=progress,
        )
    finally:
        stress_products_retire(product_ids=product_ids)


def _stress_fire(
    *,
    url: str,
    scenario: str,
    product_ids: list[UUID],
    stock: int,
    buyers: int,
    requests: int,
    concurrency: int,
    max_lines: int,
    max_quantity: int,
    timeout: float,
    rng: random.Random,
    run_id: str,
    progress: bool,
) -> StressReport:
    accounts = stress_buyers_create(count=buyers, run_id=run_id)

    def plans() -> Iterator[tuple[str, list[tuple[UUID, int]]]]:
        for index in range(requests):
            token = accounts[index % len(accounts)][1]
            if scenario == "last-item":
                yield token, [(product_ids[0], 1)]
            else:
                chosen = rng.sample(product_ids, rng.randint(1, min(max_lines, len(product_ids))))
                # Random line order on purpose: only the server's pk-ordered locking prevents deadlocks.
                yield token, [(pid, rng.randint(1, max_quantity)) for pid in chosen]

    client = HttpOrderClient(url, timeout)
    attempts: list[Attempt] = []
    transport_errors = 0
    tick, close = _progress(requests, progress)
    deadlocks_before = deadlock_count()
    connection.close()  # do not hold an idle connection for the whole run

    def fire(token: str, lines: list[tuple[UUID, int]]) -> Attempt:
        started = time.perf_counter()
        status = client.post_order(token=token, lines=lines)
        return Attempt(status=status, latency=time.perf_counter() - started, lines=dict(lines))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(fire, token, lines) for token, lines in plans()]
        for future in as_completed(futures):
            try:
                attempts.append(future.result())
            except (OSError, http.client.HTTPException):
                transport_errors += 1
            tick()
    elapsed = time.perf_counter() - started
    close()

    sold: Counter[UUID] = Counter()
    for attempt in attempts:
        if 200 <= attempt.status < 300:
            sold.update(attempt.lines)
    final_stock = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "stock_quantity"))
    return StressReport(
        scenario=scenario,
        attempts=attempts,
        elapsed=elapsed,
        initial_stock=dict.fromkeys(product_ids, stock),
        final_stock=final_stock,
        ledger_reconciled=not inventory_mismatches(),
        deadlocks=deadlock_count() - deadlocks_before,
        transport_errors=transport_errors,
        sold=dict(sold),
    )


class Command(BaseCommand):
    help = (
        "Stress order placement over real HTTP: `last-item` (one product with --stock units, --buyers buyers "
        "each wanting one) or `multi` (random multi-line orders, lines in random order). Exits 1 if anything was "
        "oversold, any 5xx, or the ledger does not reconcile."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default=f"http://127.0.0.1:{settings.SERVER_PORT}",
            help="Base URL of the running server (default: the PORT `make run` serves on).",
        )
        parser.add_argument("--scenario", choices=["last-item", "multi"], default="last-item")
        parser.add_argument("--stock", type=int, default=None, help="Units per product (5 / 100).")
        parser.add_argument("--buyers", type=int, default=50)
        parser.add_argument("--requests", type=int, default=None, help="Orders to send (default: one per buyer).")
        parser.add_argument("--concurrency", type=int, default=32)
        parser.add_argument("--products", type=int, default=5, help="Products in the multi scenario.")
        parser.add_argument("--max-lines", type=int, default=4)
        parser.add_argument("--max-quantity", type=int, default=3)
        parser.add_argument("--timeout", type=float, default=30.0)
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        scenario = options["scenario"]
        stock = options["stock"] if options["stock"] is not None else (5 if scenario == "last-item" else 100)
        buyers = options["buyers"]
        requests = options["requests"] or buyers
        for name in ("buyers", "concurrency", "products", "max_lines", "max_quantity"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        if stock < 0 or requests < 1:
            raise CommandError("--stock must be >= 0 and --requests >= 1.")
        report = stress_run(
            url=options["url"],
            scenario=scenario,
            products=options["products"],
            stock=stock,
            buyers=buyers,
            requests=requests,
            concurrency=options["concurrency"],
            max_lines=options["max_lines"],
            max_quantity=options["max_quantity"],
            timeout=options["timeout"],
            seed=options["seed"],
            progress=not options["no_progress"],
        )
        width = max(len(label) for label, _ in report.rows())
        self.stdout.write("")
        self.stdout.write(f"| {'metric':<{width}} | value |")
        self.stdout.write(f"|{'-' * (width + 2)}|-------|")
        for label, value in report.rows():
            self.stdout.write(f"| {label:<{width}} | {value} |")
        if report.failed:
            raise CommandError(f"Stress run FAILED: {'; '.join(report.failures(options['url']))}.")
        self.stdout.write(self.style.SUCCESS("Stress run passed: nothing oversold, no 5xx, ledger reconciles."))
