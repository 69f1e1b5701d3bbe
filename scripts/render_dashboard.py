"""docs/img/dashboard.png: the Grafana dashboard drawn from its own queries against a real Prometheus.

Grafana is not needed: every panel of ``deploy/grafana/dashboards/shop.json`` is drawn (same grid, titles, units,
legends) from the answers of Prometheus's ``/api/v1/query_range`` to the panel's own PromQL, as inline SVG in an
HTML page, and Chromium (Playwright) takes the screenshot. What it queries is real:

1. a database of its own (``<DATABASE_URL's name>_dashboard``, dropped at the end), migrated and seeded;
2. the project's server (gunicorn with ``config/gunicorn.py``, 2 uvicorn workers, ``METRICS_TOKEN`` set,
   ``PROMETHEUS_MULTIPROC_DIR`` in a temporary directory) and a Celery worker with embedded beat answering scrapes
   on ``CELERY_METRICS_PORT``;
3. Debian's Prometheus (``/usr/bin/prometheus``) scraping both every few seconds with the configuration of
   ``deploy/prometheus/prometheus.yml`` (targets and token file replaced) and loading ``alerts.yml``;
4. a few minutes of traffic: catalog reads (cache misses, fills and hits; stock adjustments invalidate), orders
   placed, refused for stock and for an unavailable product, idempotent replays and conflicts, payments that
   succeed, are declined or meet a provider error, staff status changes and cancellations, signed webhooks
   (processed, duplicate, a bad signature, a stale one) and a few wrong passwords (the login throttle).

Everything it starts it stops. Ports come from ``RENDER_PORTS`` (default 18150-18169).

    DATABASE_URL=... REDIS_URL=... .venv/bin/python scripts/render_dashboard.py [--minutes 3]
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port_in  # noqa: E402  (the project root is on sys.path from here)

DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "shop.json"
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
OUTPUT = ROOT / "docs" / "img" / "dashboard.png"
SETTINGS = "config.settings.bench"
SCRAPE_SECONDS = 3
RATE_INTERVAL = "30s"  # Grafana's $__rate_interval for a 3 s scrape, rounded up for smoother lines
METRICS_TOKEN = uuid.uuid4().hex
PAGE_WIDTH = 1680
ROW_HEIGHT = 30  # Grafana's grid: 24 columns, 30 px per height unit
COLOURS = [
    "#73bf69",
    "#f2cc0c",
    "#8ab8ff",
    "#ff780a",
    "#f2495c",
    "#5794f2",
    "#b877d9",
    "#fade2a",
    "#37872d",
    "#c4162a",
    "#1f60c4",
    "#8f3bb8",
    "#fa6400",
    "#96d98d",
    "#ffee52",
    "#c0d8ff",
    "#ffb357",
    "#ff7383",
    "#ca95e5",
    "#e0b400",
]


# --- processes -------------------------------------------------------------------------------------------------


def free_port() -> int:
    return free_port_in(os.environ.get("RENDER_PORTS", "18150-18169"))


def wait_until(url: str, process: subprocess.Popen[bytes], headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within 60 s")


@contextmanager
def started(command: list[str], *, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Runs ``command`` in a process group of its own and stops that group (and only it) on exit."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


@contextmanager
def own_database(url: str) -> Iterator[str]:
    """A database next to ``url``'s (same server), created empty and dropped at the end."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'shop'}_dashboard"
    admin = parts._replace(path="/postgres").geturl()

    def run(statement: str) -> None:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(statement)

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prometheus_config(directory: Path, *, web_port: int, worker_port: int) -> Path:
    """deploy/prometheus/prometheus.yml with this run's targets, token file and scrape interval."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    shutil.copy(PROMETHEUS_DIR / "alerts.yml", directory / "alerts.yml")
    token = directory / "metrics_token"
    token.write_text(METRICS_TOKEN)
    config["global"].update(scrape_interval=f"{SCRAPE_SECONDS}s", evaluation_interval=f"{SCRAPE_SECONDS}s")
    config["global"]["scrape_timeout"] = f"{SCRAPE_SECONDS}s"
    targets = {"shop-web": f"127.0.0.1:{web_port}", "shop-worker": f"127.0.0.1:{worker_port}"}
    jobs = []
    for job in config["scrape_configs"]:
        if job["job_name"] not in targets:
            continue
        job.pop("dns_sd_configs")
        job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
        if "authorization" in job:
            job["authorization"]["credentials_file"] = str(token)
        jobs.append(job)
    config["scrape_configs"] = jobs
    path = directory / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


# --- data ------------------------------------------------------------------------------------------------------


class Shop:
    """What the traffic needs from the seeded database: products, customers' and a manager's tokens."""

    def __init__(self) -> None:
        from django.core.management import call_command
        from rest_framework_simplejwt.tokens import RefreshToken

        from accounts.models import Role, User
        from catalog.models import Category, Product
        from inventory.services import stock_initialize
        from orders.management.commands.stress_orders import stress_buyers_create

        call_command("migrate", verbosity=0)
        call_command("seed_catalog", products=300, categories=30, verbosity=0)
        active = Product.objects.filter(is_active=True).order_by("id")[:50]
        self.products = [str(product.pk) for product in active]
        category = Category.objects.filter(is_active=True).order_by("id")[0]

        def stocked(name: str, count: int, price: str, quantity: int) -> list[str]:
            ids = []
            for index in range(count):
                product = Product.objects.create(
                    name=f"{name} {index}",
                    slug=f"{name.lower().replace(' ', '-')}-{index}",
                    price=Decimal(price),
                    category=category,
                )
                stock_initialize(product=product, quantity=quantity)
                ids.append(str(product.pk))
            return ids

        self.orderable = stocked("Best seller", 10, "29.00", 100_000)
        self.scarce = stocked("Last pieces", 4, "19.00", 3)
        retired = Product.objects.create(
            name="Retired item", slug="retired-item", price=Decimal("5.00"), category=category, is_active=False
        )
        stock_initialize(product=retired, quantity=100)
        self.retired = str(retired.pk)
        self.categories = [str(pk) for pk in Category.objects.filter(is_active=True).values_list("pk", flat=True)[:10]]
        self.customers = [token for _, token in stress_buyers_create(count=6, run_id="dashboard")]
        manager = User.objects.create(email="manager-dashboard@example.com", role=Role.MANAGER, is_verified=True)
        self.manager = str(RefreshToken.for_user(manager).access_token)
        from django.db import connections

        connections.close_all()


# --- traffic ---------------------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection; JSON in and out."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.statuses: dict[int, int] = {}

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        sent = {"Accept": "application/json", **(headers or {})}
        data: bytes | None = None
        if isinstance(body, bytes):
            data = body
            sent["Content-Type"] = "application/json"
        elif body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Bearer {token}"
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=data, headers=sent)
                response = self.connection.getresponse()
                raw = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    return 0, None
        self.statuses[response.status] = self.statuses.get(response.status, 0) + 1
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, None


def browse(client: Client, shop: Shop, stop: threading.Event) -> None:
    """Anonymous catalog reads: a few hot products (hits), a long tail (misses and fills), lists and categories."""
    rng = random.Random(1)
    while not stop.is_set():
        roll = rng.random()
        if roll < 0.55:
            product = shop.products[min(int(rng.expovariate(0.25)), len(shop.products) - 1)]
            client.call("GET", f"/api/v1/products/{product}/")
        elif roll < 0.8:
            client.call(
                "GET", f"/api/v1/products/?page={rng.randint(1, 4)}&ordering={rng.choice(['price', '-price', 'name'])}"
            )
        elif roll < 0.92:
            client.call("GET", "/api/v1/categories/")
        else:
            client.call("GET", f"/api/v1/categories/{rng.choice(shop.categories)}/")
        time.sleep(rng.uniform(0.02, 0.08))


def webhook(client: Client, payment: dict[str, Any], *, secret: str, timestamp: int | None = None) -> bytes:
    from payments.providers.webhooks import SIGNATURE_HEADER, event_body, signature_header

    body = event_body(
        event_id=f"evt_{uuid.uuid4().hex}",
        event_type="payment.succeeded",
        transaction_id=payment["transaction_id"],
        amount=Decimal(payment["amount"]),
        currency=payment["currency"],
        payment_reference=payment["id"],
    )
    header = signature_header(body=body, secret=secret, timestamp=timestamp)
    client.call("POST", "/api/v1/payments/webhooks/fake/", body, headers={SIGNATURE_HEADER: header})
    return body


def buy(client: Client, shop: Shop, customer: int, stop: threading.Event) -> None:
    """A customer's orders: placed (sometimes retried: a replay), refused, paid, declined, cancelled; webhooks."""
    from django.conf import settings

    rng = random.Random(100 + customer)
    token = shop.customers[customer]
    while not stop.is_set():
        key = uuid.uuid4().hex
        roll = rng.random()
        if roll < 0.12:
            items = [{"product_id": rng.choice(shop.scarce), "quantity": 2}]
        elif roll < 0.16:
            items = [{"product_id": shop.retired, "quantity": 1}]
        else:
            items = [{"product_id": rng.choice(shop.orderable), "quantity": rng.randint(1, 2)}]
        status, order = client.call(
            "POST", "/api/v1/orders/", {"items": items}, token=token, headers={"Idempotency-Key": key}
        )
        if status == 201 and rng.random() < 0.15:
            client.call("POST", "/api/v1/orders/", {"items": items}, token=token, headers={"Idempotency-Key": key})
        if status == 201 and rng.random() < 0.05:
            other = [{"product_id": rng.choice(shop.orderable), "quantity": 3}]
            client.call("POST", "/api/v1/orders/", {"items": other}, token=token, headers={"Idempotency-Key": key})
        if status == 201 and isinstance(order, dict):
            time.sleep(rng.uniform(0.1, 0.6))
            if rng.random() < 0.12:
                client.call("POST", f"/api/v1/orders/{order['id']}/cancel/", {}, token=token)
            else:
                card = rng.choices(["tok_ok", "tok_declined", "tok_error"], weights=[80, 14, 6])[0]
                pay_key = uuid.uuid4().hex
                paid, payment = client.call(
                    "POST",
                    f"/api/v1/orders/{order['id']}/pay/",
                    {"provider": "fake", "payment_token": card},
                    token=token,
                    headers={"Idempotency-Key": pay_key},
                )
                if paid == 201 and isinstance(payment, dict) and payment.get("status") == "succeeded":
                    if rng.random() < 0.4:
                        body = webhook(client, payment, secret=settings.PAYMENT_WEBHOOK_SECRET)
                        if rng.random() < 0.3:  # the provider delivers again
                            from payments.providers.webhooks import SIGNATURE_HEADER, signature_header

                            again = signature_header(body=body, secret=settings.PAYMENT_WEBHOOK_SECRET)
                            client.call(
                                "POST", "/api/v1/payments/webhooks/fake/", body, headers={SIGNATURE_HEADER: again}
                            )
                    if rng.random() < 0.08:
                        webhook(client, payment, secret="whsec_not_ours")
                    if rng.random() < 0.04:
                        webhook(
                            client, payment, secret=settings.PAYMENT_WEBHOOK_SECRET, timestamp=int(time.time()) - 3600
                        )
                    if rng.random() < 0.5:
                        client.call(
                            "POST",
                            f"/api/v1/orders/{order['id']}/status/",
                            {"status": "PROCESSING"},
                            token=shop.manager,
                        )
        time.sleep(rng.uniform(1.5, 5))


def operate(client: Client, shop: Shop, stop: threading.Event) -> None:
    """Staff restocking (the cache generation moves: misses and fills again) and someone guessing a password."""
    rng = random.Random(7)
    while not stop.is_set():
        product = rng.choice(shop.products[:10] + shop.scarce)
        client.call(
            "POST",
            f"/api/v1/inventory/{product}/adjust/",
            {"delta": 3 if product in shop.scarce else rng.randint(1, 5), "reason": "restock", "note": "delivery"},
            token=shop.manager,
        )
        if rng.random() < 0.5:
            for _ in range(rng.randint(2, 8)):
                client.call("POST", "/api/v1/auth/token/", {"email": "customer@example.com", "password": "guess"})
        stop.wait(rng.uniform(4, 10))


def traffic(port: int, shop: Shop, seconds: float) -> dict[int, int]:
    stop = threading.Event()
    clients = [Client(port) for _ in range(10)]
    workers = [
        threading.Thread(target=browse, args=(clients[0], shop, stop)),
        threading.Thread(target=browse, args=(clients[1], shop, stop)),
        threading.Thread(target=browse, args=(clients[2], shop, stop)),
        threading.Thread(target=operate, args=(clients[3], shop, stop)),
        *(threading.Thread(target=buy, args=(clients[4 + i], shop, i, stop)) for i in range(len(shop.customers))),
    ]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(10)
        answered = sum(sum(client.statuses.values()) for client in clients)
        print(f"  {answered} requests, {int(deadline - time.monotonic())} s left", flush=True)
    stop.set()
    for worker in workers:
        worker.join()
    totals: dict[int, int] = {}
    for client in clients:
        for status, count in client.statuses.items():
            totals[status] = totals.get(status, 0) + count
    return totals


# --- drawing ---------------------------------------------------------------------------------------------------


def query_range(prometheus: str, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
    expr = expr.replace("$__rate_interval", RATE_INTERVAL)
    query = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{prometheus}/api/v1/query_range?{query}", timeout=30) as response:
        answer = json.load(response)
    if answer["status"] != "success":
        raise SystemExit(f"{expr}: {answer}")
    return list(answer["data"]["result"])


def legend(template: str, labels: dict[str, str]) -> str:
    text = template
    for name, value in labels.items():
        text = text.replace("{{" + name + "}}", value).replace("{{ " + name + " }}", value)
    return text or json.dumps(labels)


def formatted(value: float, unit: str) -> str:
    if unit == "percentunit":
        return f"{value * 100:.0f}%"
    if unit == "s":
        if value == 0:
            return "0 s"
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s" if value < 60 else f"{value / 60:.1f} min"
    suffix = {"reqps": " req/s", "ops": " ops/s"}.get(unit, "")
    if value >= 1000:
        return f"{value / 1000:.1f}k{suffix}"
    if value and value < 0.01:
        return f"{value:.3f}{suffix}"
    return f"{value:.2f}".rstrip("0").rstrip(".") + suffix


def nice_max(value: float, unit: str) -> float:
    if unit == "percentunit":
        return 1.0
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * exponent:
            return factor * exponent
    return 10 * exponent


def panel_svg(
    series: list[tuple[str, list[tuple[float, float]]]], unit: str, start: float, end: float, width: int, height: int
) -> str:
    left, right, top, bottom = 76, 24, 8, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((value for _, points in series for _, value in points if math.isfinite(value)), default=0.0)
    top_value = nice_max(peak, unit)
    parts = [f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#2c3235"/>')
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#8e8e8e" font-size="11">'
            f"{html.escape(formatted(top_value * i / 4, unit))}</text>"
        )
    ticks = 6
    for i in range(ticks + 1):
        at = start + (end - start) * i / ticks
        x = left + plot_w * i / ticks
        label = datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")
        parts.append(
            f'<text x="{x:.1f}" y="{height - 5}" text-anchor="middle" fill="#8e8e8e" font-size="11">{label}</text>'
        )
    for index, (_, points) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        segments: list[list[str]] = [[]]
        for at, value in points:
            if not math.isfinite(value):
                segments.append([])
                continue
            x = left + plot_w * (at - start) / (end - start)
            y = top + plot_h - plot_h * min(value, top_value) / top_value
            segments[-1].append(f"{x:.1f},{y:.1f}")
        for segment in segments:
            if len(segment) > 1:
                area = (
                    f"{segment[0].split(',')[0]},{top + plot_h} "
                    + " ".join(segment)
                    + f" {segment[-1].split(',')[0]},{top + plot_h}"
                )
                parts.append(f'<polygon points="{area}" fill="{colour}" fill-opacity="0.08"/>')
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
                )
            elif segment:
                cx, cy = segment[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(
    model: dict[str, Any],
    drawn: dict[int, list[tuple[str, list[tuple[float, float]]]]],
    start: float,
    end: float,
    note: str,
) -> str:
    unit_w = PAGE_WIDTH / 24
    blocks = []
    bottom = 0
    offset = 56
    for panel in model["panels"]:
        grid = panel["gridPos"]
        x, y, w, h = grid["x"] * unit_w, offset + grid["y"] * ROW_HEIGHT, grid["w"] * unit_w, grid["h"] * ROW_HEIGHT
        bottom = max(bottom, y + h)
        if panel["type"] == "row":
            blocks.append(
                f'<div class="row" style="left:{x + 4}px;top:{y}px;width:{w - 8}px">{html.escape(panel["title"])}</div>'
            )
            continue
        series = drawn[panel["id"]]
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
        legend_lines = min(len(series), 4)
        svg = panel_svg(series, unit, start, end, int(w - 26), int(h - 40 - legend_lines * 15))
        entries = "".join(
            f'<span class="entry"><i style="background:{COLOURS[i % len(COLOURS)]}"></i>{html.escape(name)}</span>'
            for i, (name, _) in enumerate(series)
        )
        blocks.append(
            f'<div class="panel" style="left:{x + 4}px;top:{y + 4}px;width:{w - 8}px;height:{h - 8}px">'
            f'<div class="title">{html.escape(panel["title"])}</div>{svg}<div class="legend">{entries}</div></div>'
        )
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin:0; background:#111217; font-family: Inter, "DejaVu Sans", Arial, sans-serif; color:#d8d9da; }}
.page {{ position:relative; width:{PAGE_WIDTH}px; height:{bottom + 12}px; }}
.head {{ position:absolute; left:12px; top:12px; font-size:18px; }}
.head small {{ color:#8e8e8e; font-size:12px; margin-left:12px; }}
.row {{ position:absolute; height:{ROW_HEIGHT}px; line-height:{ROW_HEIGHT}px; font-size:15px; font-weight:600; }}
.panel {{ position:absolute; background:#181b1f; border:1px solid #2c3235; border-radius:3px; padding:4px 8px;
  box-sizing:border-box; overflow:hidden; }}
.title {{ font-size:13px; font-weight:600; height:20px; }}
.legend {{ font-size:11px; line-height:15px; max-height:60px; overflow:hidden; }}
.entry {{ margin-right:12px; white-space:nowrap; }}
.entry i {{ display:inline-block; width:12px; height:3px; margin:0 4px 3px 0; }}
</style></head><body><div class="page"><div class="head">Shop <small>{html.escape(note)}</small></div>
{"".join(blocks)}</div></body></html>"""


def screenshot(page_html: str, output: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "dashboard.html"
        path.write_text(page_html)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-extensions",
                    "--no-first-run",
                ],
            )
            try:
                page = browser.new_page(viewport={"width": PAGE_WIDTH, "height": 900})
                page.goto(path.as_uri())
                output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(output), full_page=True)
            finally:
                browser.close()


# --- main ------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0, help="traffic duration")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("set DATABASE_URL (and REDIS_URL): the server's database is created next to it")
    prometheus_binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    model = json.loads(DASHBOARD.read_text())

    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shop-dashboard-")))
        database = stack.enter_context(own_database(os.environ["DATABASE_URL"]))
        web_dir, worker_dir = work / "metrics-web", work / "metrics-worker"
        worker_dir.mkdir()
        web_port, worker_port, prometheus_port = free_port(), 0, 0
        env = {
            **os.environ,
            "DATABASE_URL": database,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "METRICS_TOKEN": METRICS_TOKEN,
            "METRICS_QUERY_TTL": "2",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        os.environ.update({key: env[key] for key in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "METRICS_TOKEN")})
        import django

        django.setup()
        print("seeding the database ...", flush=True)
        shop = Shop()

        bin_dir = Path(sys.executable).parent
        web = stack.enter_context(
            started(
                [
                    str(bin_dir / "gunicorn"),
                    "config.asgi:application",
                    "-c",
                    "config/gunicorn.py",
                    "--bind",
                    f"127.0.0.1:{web_port}",
                    "--access-logfile",
                    "/dev/null",
                ],
                env={**env, "PORT": str(web_port), "WEB_CONCURRENCY": "2", "PROMETHEUS_MULTIPROC_DIR": str(web_dir)},
                log=work / "web.log",
            )
        )
        wait_until(f"http://127.0.0.1:{web_port}/healthz", web)
        worker_port = free_port()
        worker = stack.enter_context(
            started(
                [
                    str(bin_dir / "celery"),
                    "-A",
                    "config",
                    "worker",
                    "-B",
                    "-Q",
                    "celery,email",
                    "-c",
                    "2",
                    "-l",
                    "warning",
                    "-s",
                    str(work / "beat-schedule"),
                ],
                env={**env, "CELERY_METRICS_PORT": str(worker_port), "PROMETHEUS_MULTIPROC_DIR": str(worker_dir)},
                log=work / "worker.log",
            )
        )
        wait_until(f"http://127.0.0.1:{worker_port}/metrics", worker)
        prometheus_port = free_port()
        config = prometheus_config(work, web_port=web_port, worker_port=worker_port)
        prometheus = stack.enter_context(
            started(
                [
                    prometheus_binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={work / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prometheus_port}",
                    "--storage.tsdb.retention.time=1d",
                ],
                env=dict(os.environ),
                log=work / "prometheus.log",
            )
        )
        prometheus_url = f"http://127.0.0.1:{prometheus_port}"
        wait_until(f"{prometheus_url}/-/ready", prometheus)

        start = time.time()
        print(
            f"traffic for {args.minutes:g} min against :{web_port} "
            f"(worker :{worker_port}, Prometheus :{prometheus_port})",
            flush=True,
        )
        statuses = traffic(web_port, shop, args.minutes * 60)
        print(f"answers by status: {dict(sorted(statuses.items()))}", flush=True)
        time.sleep(SCRAPE_SECONDS * 3)  # the last figures scraped
        end = time.time()

        drawn: dict[int, list[tuple[str, list[tuple[float, float]]]]] = {}
        empty = []
        step = max(SCRAPE_SECONDS, (end - start) / 240)
        for panel in model["panels"]:
            if panel["type"] == "row":
                continue
            series = []
            for target in panel["targets"]:
                for result in query_range(prometheus_url, target["expr"], start, end, step):
                    points = [(float(at), float(value)) for at, value in result["values"]]
                    series.append((legend(target.get("legendFormat", ""), result["metric"]), points))
            drawn[panel["id"]] = series
            if not any(points for _, points in series):
                empty.append(panel["title"])
        firing = json.load(urllib.request.urlopen(f"{prometheus_url}/api/v1/alerts", timeout=10))["data"]["alerts"]
        names = sorted({alert["labels"]["alertname"] + ":" + alert["state"] for alert in firing}) or ["none"]
        print(f"alerts: {', '.join(names)}", flush=True)
        moment = datetime.fromtimestamp(end, UTC).strftime("%Y-%m-%d %H:%M UTC")
        note = (
            f"{moment}, last {(end - start) / 60:.1f} min: {sum(statuses.values())} requests of generated traffic, "
            f"gunicorn with 2 workers and a Celery worker scraped every {SCRAPE_SECONDS} s by Prometheus "
            f"(scripts/render_dashboard.py)"
        )
        screenshot(render_html(model, drawn, start, end, note), args.output)
        print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
        if empty:
            raise SystemExit(f"panels without data: {', '.join(empty)}")


if __name__ == "__main__":
    main()
