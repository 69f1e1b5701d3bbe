"""No Docker engine runs here: check the compose file's structure instead (`docker compose config` for users)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_present():
    assert set(load()["services"]) == {
        "postgres",
        "postgres-replica",
        "redis",
        "redis-replica",
        "sentinel-1",
        "sentinel-2",
        "sentinel-3",
        "rabbitmq",
        "migrate",
        "web",
        "worker",
        "beat",
        "mailpit",
        "proxy",
        "prometheus",
        "grafana",
        "flower",
    }


def test_images_and_ports():
    services = load()["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    # No host port on web: `--scale web=3` would collide; the proxy is the way in.
    assert "ports" not in services["web"]
    assert services["web"]["expose"] == ["8000"]
    assert "8025:8025" in services["mailpit"]["ports"]


def test_every_long_running_service_but_beat_has_a_healthcheck():
    for name, service in load()["services"].items():
        if name not in ("beat", "migrate"):
            assert "healthcheck" in service, name


def test_app_services_wait_for_healthy_dependencies():
    services = load()["services"]
    for name in ("migrate", "web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["rabbitmq"]["condition"] == "service_healthy", name
        if name != "migrate":
            assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://")
        assert services[name]["environment"]["EMAIL_HOST"] == "mailpit"


def test_dockerfile_is_multistage_non_root_with_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") >= 2
    assert "\nUSER app" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "/healthz" in dockerfile


def test_the_proxy_serves_the_media_volume_and_api_urls_point_at_it():
    services = load()["services"]
    proxy = services["proxy"]
    assert "media:/srv/media:ro" in proxy["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert "8080:80" in proxy["ports"]
    assert "media:/app/media" in services["web"]["volumes"]
    assert services["web"]["environment"]["PUBLIC_ORIGIN"].endswith("localhost:8080}")
    proxy_address = proxy["networks"]["default"]["ipv4_address"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == f"{proxy_address}/32"
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "alias /srv/media/$1;" in conf
    assert "server web:8000 max_fails=2 fail_timeout=5s;" in conf
    assert "proxy_pass http://shop_web;" in conf
    assert "add_header X-Served-By $upstream_addr always;" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf


def test_the_image_collects_static_files_at_build_time_with_production_settings():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert dockerfile.index("collectstatic") < dockerfile.index("\nUSER app")


def test_migrations_run_once_before_any_web_node():
    services = load()["services"]
    assert "migrate --noinput" in " ".join(services["migrate"]["command"])
    assert "migrate" not in " ".join(services["web"]["command"])


def test_reads_go_to_a_streaming_replica_of_the_primary():
    services = load()["services"]
    replica = services["postgres-replica"]
    assert replica["image"] == services["postgres"]["image"]
    assert replica["environment"]["PRIMARY_HOST"] == "postgres"
    assert "wal_level=replica" in services["postgres"]["command"]
    entrypoint = (ROOT / "deploy" / "postgres" / "replica-entrypoint.sh").read_text()
    assert "pg_basebackup" in entrypoint
    assert " -R " in entrypoint
    assert "host replication" in (ROOT / "deploy" / "postgres" / "primary-init.sh").read_text()
    assert services["web"]["environment"]["DATABASE_REPLICA_URLS"] == "postgres://shop:shop@postgres-replica:5432/shop"


def test_every_redis_role_goes_through_three_sentinels():
    services = load()["services"]
    sentinels = [name for name in services if name.startswith("sentinel-")]
    assert len(sentinels) == 3
    for name in sentinels:
        assert "sentinel monitor shop redis 6379 2" in services[name]["command"][-1]
    assert services["redis-replica"]["command"][-3:] == ["--replicaof", "redis", "6379"]
    environment = services["web"]["environment"]
    assert environment["REDIS_SENTINELS"] == ",".join(f"{name}:26379" for name in sorted(sentinels))
    assert environment["REDIS_SENTINEL_MASTER"] == "shop"


def test_celery_runs_on_rabbitmq_with_one_beat():
    services = load()["services"]
    assert services["rabbitmq"]["image"].startswith("rabbitmq:3")
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["CELERY_BROKER_URL"] == "amqp://shop:shop@rabbitmq:5672/shop"
    assert "deploy" not in services["beat"]  # never replicated


def test_amqp_brokers_get_quorum_queues_and_topic_exchanges():
    """The settings pick RabbitMQ's durable queue type from the broker URL alone; Redis keeps Celery's defaults."""
    script = (
        "import json, config.settings.base as s; print(json.dumps([s.CELERY_TASK_DEFAULT_QUEUE_TYPE, "
        "s.CELERY_TASK_CREATE_MISSING_QUEUE_TYPE, s.CELERY_TASK_DEFAULT_EXCHANGE_TYPE]))"
    )

    def settings_for(broker: str) -> list[str]:
        env = {**os.environ, "CELERY_BROKER_URL": broker}
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
        return json.loads(out.stdout)

    assert settings_for("amqp://shop:shop@rabbitmq:5672/shop") == ["quorum", "quorum", "topic"]
    assert settings_for("redis://127.0.0.1:6379/0") == ["classic", "classic", "direct"]


def test_prometheus_scrapes_every_web_node_and_the_worker_with_the_metrics_token():
    services = load()["services"]
    prometheus = services["prometheus"]
    assert prometheus["image"].startswith("prom/prometheus:v2")
    assert "./deploy/prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    assert "9090:9090" in prometheus["ports"]
    # The same token on both sides; Prometheus reads it from the file its configuration names.
    assert prometheus["environment"]["METRICS_TOKEN"] == services["web"]["environment"]["METRICS_TOKEN"]
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    web_job = next(job for job in config["scrape_configs"] if job["job_name"] == "shop-web")
    token_file = web_job["authorization"]["credentials_file"]
    start = prometheus["entrypoint"][-1]
    assert f'"$$METRICS_TOKEN" > {token_file}' in start
    assert "--config.file=/etc/prometheus/prometheus.yml" in start
    # One target per web node, by address: each node accepts its own address as a host.
    assert "hostname -i" in services["web"]["command"][-1]
    assert "exec gunicorn config.asgi:application -c config/gunicorn.py" in services["web"]["command"][-1]
    worker = services["worker"]
    assert worker["environment"]["CELERY_METRICS_PORT"] == "9100"
    assert worker["environment"]["PROMETHEUS_MULTIPROC_DIR"] in worker["tmpfs"]
    # The worker keeps every setting of the other app services.
    assert worker["environment"]["CELERY_BROKER_URL"] == services["web"]["environment"]["CELERY_BROKER_URL"]


def test_grafana_provisions_the_dashboard_with_a_password_from_the_environment_and_no_anonymous_access():
    grafana = load()["services"]["grafana"]
    assert grafana["image"].startswith("grafana/grafana:")
    environment = grafana["environment"]
    assert environment["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")
    assert environment["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert environment["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in grafana["volumes"]
    dashboards = yaml.safe_load((ROOT / "deploy/grafana/provisioning/dashboards/shop.yml").read_text())
    assert dashboards["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    assert environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] == "/var/lib/grafana/dashboards/shop.json"
    datasource = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"


def test_flower_requires_basic_auth_from_the_environment():
    services = load()["services"]
    flower = services["flower"]
    assert flower["image"].startswith("mher/flower:")
    # Flower reads FLOWER_BASIC_AUTH as --basic-auth; `:?` refuses to start the stack without it.
    assert flower["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    assert "--basic-auth" not in " ".join(flower["command"])  # never on a command line `ps` shows
    assert f"--broker={services['web']['environment']['CELERY_BROKER_URL']}" in flower["command"]
    assert "5555:5555" in flower["ports"]


def test_the_existing_shape_is_kept_next_to_the_observability_services():
    services = load()["services"]
    assert "ports" not in services["web"]
    assert "deploy" not in services["beat"]
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert {"sentinel-1", "sentinel-2", "sentinel-3", "postgres-replica", "rabbitmq"} <= set(services)
