"""No Docker engine runs here: check the compose file's structure instead (`docker compose config` for users)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_present():
    assert set(load()["services"]) == {"postgres", "redis", "web", "worker", "beat", "mailpit", "proxy"}


def test_images_and_ports():
    services = load()["services"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    assert "8000:8000" in services["web"]["ports"]
    assert "8025:8025" in services["mailpit"]["ports"]


def test_every_service_but_beat_has_a_healthcheck():
    for name, service in load()["services"].items():
        if name != "beat":
            assert "healthcheck" in service, name


def test_app_services_wait_for_healthy_dependencies():
    services = load()["services"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name
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
    assert "proxy_pass http://web:8000;" in conf


def test_the_image_collects_static_files_at_build_time_with_production_settings():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert dockerfile.index("collectstatic") < dockerfile.index("\nUSER app")
