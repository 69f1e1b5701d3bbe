"""The Grafana dashboard and the alerting rules read only metrics the project exports, and each alert has its
runbook. (promtool checks and unit-tests the rules themselves: `make alerts-check`.)"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from core.metrics import exposition, metric_names
from tests.observability.promql import metric_names_in

ROOT = Path(__file__).resolve().parent.parent.parent
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "shop.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
DATASOURCE = ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
OPERATIONS = ROOT / "docs" / "operations.md"
# Series Prometheus writes itself for every target.
PROMETHEUS_SERIES = frozenset(
    {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling"}
)
# Exported but left off the dashboard on purpose (a count nobody watches live).
NOT_ON_DASHBOARD = frozenset({"cart_merges"})


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def graph_panels(model: dict) -> list[dict]:
    return [panel for panel in model["panels"] if panel["type"] != "row"]


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def unknown_metrics(queries: dict[str, str], exported: frozenset[str]) -> dict[str, set[str]]:
    """``{where: names}`` for every query naming a metric that neither the project nor Prometheus exports."""
    unknown = {}
    for where, expr in queries.items():
        names = metric_names_in(expr)
        missing = names - exported - PROMETHEUS_SERIES
        if missing or not names:
            unknown[where] = missing or {"<no metric at all>"}
    return unknown


def panel_queries(model: dict) -> dict[str, str]:
    return {
        f"{panel['title']} / {target['refId']}": target["expr"]
        for panel in graph_panels(model)
        for target in panel["targets"]
    }


@pytest.fixture(scope="module")
def exported(django_db_blocker) -> frozenset[str]:
    with django_db_blocker.unblock():
        return metric_names()


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (le) (rate(x_bucket{a="b", route=~"/api/v1/{pk}/"}[5m]))', {"x_bucket"}),
        ("histogram_quantile(0.99, sum without (instance) (rate(y_bucket[$__rate_interval])))", {"y_bucket"}),
        ("a / on(job) group_left(foo) b offset 5m > bool 1e3", {"a", "b"}),
        ("sum(rate(x_total[5m] offset 1h)) or vector(0)", {"x_total"}),
        ('label_replace(up, "dst", "$1", "src", "(.*)")', {"up"}),
        ("max(lag_seconds) > Inf and NaN unless absent(other)", {"lag_seconds", "other"}),
        ("rate(x[1h:5m]) * 0x1F", {"x"}),
        ("sum by(queue)(depth) # a comment naming not_a_metric", {"depth"}),
        ("sum(x) by (job, instance) / ignoring (le) count(y)", {"x", "y"}),
        ('topk(5, sum by (view) (rate(a_total{view!="fast"}[${interval}])))', {"a_total"}),
        ('count_values("value", build_info)', {"build_info"}),
    ],
)
def test_the_tokenizer_finds_exactly_the_metric_names(expr, names):
    assert metric_names_in(expr) == names


@pytest.mark.django_db
def test_metric_names_are_the_samples_a_scrape_shows(exported, client):
    assert {
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        "http_request_duration_seconds_count",
        "http_request_duration_seconds_sum",
        "http_requests_in_flight",
        "orders_placed_total",
        "payments_created",
        "outbox_messages",
        "outbox_oldest_pending_age_seconds",
        "catalog_low_stock_products",
        "celery_queue_depth",
    } <= exported
    client.get("/healthz")  # at least one labelled HTTP series exists
    scraped = {
        sample.name
        for family in text_string_to_metric_families(exposition().decode())
        for sample in family.samples
        if not family.name.startswith(("process_", "python_"))  # the default registry's own, outside multi-process
    }
    assert "http_requests_total" in scraped
    assert scraped <= exported, scraped - exported


def test_the_dashboard_parses_and_every_panel_has_a_query():
    model = dashboard()
    datasource_uid = yaml.safe_load(DATASOURCE.read_text())["datasources"][0]["uid"]
    panels = graph_panels(model)
    assert len(panels) >= 15
    assert len({panel["id"] for panel in model["panels"]}) == len(model["panels"])
    for panel in panels:
        assert panel["title"], panel
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == datasource_uid
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
            assert target["datasource"]["uid"] == datasource_uid
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        assert grid["h"] > 0, panel["title"]


def test_every_dashboard_query_names_metrics_the_project_exports(exported):
    assert unknown_metrics(panel_queries(dashboard()), exported) == {}


def test_every_exported_metric_is_on_the_dashboard(exported):
    shown = set().union(*(metric_names_in(expr) for expr in panel_queries(dashboard()).values()))
    families = {re.sub(r"_(total|bucket|count|sum|created)$", "", name) for name in exported}
    on_dashboard = {re.sub(r"_(total|bucket|count|sum|created)$", "", name) for name in shown}
    assert families - on_dashboard == NOT_ON_DASHBOARD


def test_every_alert_names_metrics_the_project_exports(exported):
    queries = {rule["alert"]: rule["expr"] for rule in alert_rules()}
    assert len(queries) >= 6
    assert unknown_metrics(queries, exported) == {}


def test_a_query_naming_a_metric_that_does_not_exist_is_caught(exported):
    model = copy.deepcopy(dashboard())
    panel = graph_panels(model)[0]
    panel["targets"][0]["expr"] = 'sum by (route) (rate(http_request_totals{job="shop-web"}[5m]))'
    assert unknown_metrics(panel_queries(model), exported) == {f"{panel['title']} / A": {"http_request_totals"}}
    # A label or a function spelled like a metric is no metric; a query reading no metric at all is caught too.
    assert unknown_metrics({"labels": 'sum by (orders_placed) (up{orders_placed="1"})'}, exported) == {}
    assert unknown_metrics({"constant": "vector(1)"}, exported) == {"constant": {"<no metric at all>"}}


def github_anchors(markdown: str) -> set[str]:
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", markdown, flags=re.MULTILINE):
        text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
        anchors.add(text.replace(" ", "-"))
    return anchors


def test_every_alert_has_a_summary_a_description_and_a_runbook_in_the_operations_guide():
    anchors = github_anchors(OPERATIONS.read_text())
    for rule in alert_rules():
        annotations = rule["annotations"]
        assert annotations["summary"], rule["alert"]
        assert annotations["description"], rule["alert"]
        page, _, anchor = annotations["runbook_url"].partition("#")
        assert page == "docs/operations.md", rule["alert"]
        assert anchor == rule["alert"].lower(), rule["alert"]
        assert anchor in anchors, rule["alert"]
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]


def test_prometheus_scrapes_web_nodes_with_the_token_and_workers_and_loads_the_rules():
    config = yaml.safe_load(PROMETHEUS.read_text())
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    web = jobs["shop-web"]
    assert web["metrics_path"] == "/metrics"
    assert web["authorization"]["type"] == "Bearer"
    assert web["authorization"]["credentials_file"]
    assert web["dns_sd_configs"][0]["names"] == ["web"]
    assert jobs["shop-worker"]["dns_sd_configs"][0]["names"] == ["worker"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    worker_port = int(compose["worker"]["environment"]["CELERY_METRICS_PORT"])
    assert jobs["shop-worker"]["dns_sd_configs"][0]["port"] == worker_port
    assert web["dns_sd_configs"][0]["port"] == int(compose["web"]["expose"][0])
    alert_jobs = {"shop-web", "shop-worker"}
    for rule in alert_rules():
        for job in re.findall(r'job=~?"([^"]+)"', rule["expr"]):
            assert set(job.split("|")) <= alert_jobs, rule["alert"]
