"""The middleware stack under ASGI: thread hops counted through Django's real ASGI handler, and what each middleware
still does where it is needed (admin, browsable API).

A hop is one ``sync_to_async`` call (a sync function run on the request's thread while the event loop waits).
Django's ASGI handler makes three on every request whatever the project (the sync receivers of ``request_started``
and ``request_finished``, and ``response.close``), a bare Django project as much as this one: they are counted
apart. Everything else is the project's: its middleware and its view.
"""

from __future__ import annotations

import json
from decimal import Decimal
from http.cookies import SimpleCookie
from typing import Any

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient, Client
from rest_framework.test import APIClient

from accounts.models import User
from catalog.models import Category, Product
from tests.factories import CategoryFactory, ProductFactory, UserFactory
from tests.support import bearer

# The handler's own hops (django/core/handlers/asgi.py): signal receivers and closing the response.
HANDLER_HOPS = frozenset({"Signal.asend.<locals>.sync_send", "HttpResponseBase.close"})


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, hops: list[str]) -> None:
        self.status, self.headers, self.body = status, headers, body
        self.handler_hops = [hop for hop in hops if hop in HANDLER_HOPS]
        self.hops = [hop for hop in hops if hop not in HANDLER_HOPS]


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every ``sync_to_async`` call made while the test runs, by the qualified name of the function it runs."""
    seen: list[str] = []
    original = SyncToAsync.__call__

    async def counting(self: SyncToAsync[Any, Any], *args: Any, **kwargs: Any) -> Any:
        function = getattr(self.func, "__func__", self.func)
        seen.append(getattr(function, "__qualname__", repr(function)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counting)
    return seen


def asgi_request(
    seen: list[str], method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
) -> Answer:
    """One request through ``ASGIHandler`` (what the server runs), with the hops it made."""
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver")]
        + [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }

    async def run() -> Answer:
        del seen[:]
        communicator = ApplicationCommunicator(ASGIHandler(), scope)
        await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
        start = await communicator.receive_output(timeout=10)
        chunks = []
        while True:
            message = await communicator.receive_output(timeout=10)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await communicator.wait(timeout=10)
        answer_headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
        return Answer(start["status"], answer_headers, b"".join(chunks), list(seen))

    return async_to_sync(run)()


@pytest.fixture
def product(transactional_db: None) -> Product:
    return ProductFactory.create(price=Decimal("12.50"), stock=5)


def test_the_handler_makes_at_most_three_hops_of_its_own(hops: list[str], product: Product) -> None:
    answer = asgi_request(hops, "GET", f"/api/v1/products/{product.pk}/")
    assert answer.status == 200
    assert "HttpResponseBase.close" in answer.handler_hops
    assert 1 <= len(answer.handler_hops) <= 3  # a signal without sync receivers makes none


def test_an_anonymous_cached_product_read_makes_no_hop(hops: list[str], product: Product) -> None:
    miss = asgi_request(hops, "GET", f"/api/v1/products/{product.pk}/")
    assert miss.headers["x-cache"] == "MISS"
    # A miss takes DRF's path: its checks (authentication, throttles) and the product query, one hop each.
    assert miss.hops == ["APIView.initial", "QuerySet.first"]
    hit = asgi_request(hops, "GET", f"/api/v1/products/{product.pk}/")
    assert (hit.status, hit.headers["x-cache"]) == (200, "HIT")
    assert hit.hops == []
    assert json.loads(hit.body)["price"] == "12.50"
    not_modified = asgi_request(
        hops, "GET", f"/api/v1/products/{product.pk}/", headers={"If-None-Match": hit.headers["etag"]}
    )
    assert (not_modified.status, not_modified.hops) == (304, [])


def test_anonymous_catalog_lists_make_no_hop_on_a_hit(hops: list[str], product: Product) -> None:
    CategoryFactory.create()
    for path in ("/api/v1/products/?ordering=price", "/api/v1/categories/"):
        asgi_request(hops, "GET", path)
        hit = asgi_request(hops, "GET", path)
        assert (hit.status, hit.headers["x-cache"], hit.hops) == (200, "HIT", []), path


def test_an_api_answer_carries_no_session_messages_or_frame_header(hops: list[str], product: Product) -> None:
    answer = asgi_request(hops, "GET", f"/api/v1/products/{product.pk}/")
    assert "set-cookie" not in answer.headers
    assert "x-frame-options" not in answer.headers
    assert answer.headers["x-content-type-options"] == "nosniff"  # the security headers stay


def test_a_signed_in_sync_view_hops_for_itself_only(hops: list[str], transactional_db: None) -> None:
    user = UserFactory.create()
    answer = asgi_request(hops, "GET", "/api/v1/auth/me/", headers={"Authorization": bearer(user)})
    assert answer.status == 200
    assert json.loads(answer.body)["email"] == user.email
    # The view (authentication, queries) and the rendering of its DRF response: no middleware hop.
    assert answer.hops == ["View.as_view.<locals>.view", "SimpleTemplateResponse.render"]
    assert "set-cookie" not in answer.headers


def test_a_bearer_call_ignores_a_session_cookie(transactional_db: None, client: Client) -> None:
    """A bearer-token API call gets no session: a cookie lends it nothing, even with a bad token."""
    staff = UserFactory.create(admin=True)
    client.force_login(staff)
    sessionid = client.cookies[settings.SESSION_COOKIE_NAME].value
    api = APIClient()
    api.cookies[settings.SESSION_COOKIE_NAME] = sessionid
    assert api.get("/api/v1/users/").status_code == 200  # the cookie alone: the session's user
    refused = api.get("/api/v1/users/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert refused.status_code == 401
    customer = UserFactory.create()
    as_customer = api.get("/api/v1/users/", HTTP_AUTHORIZATION=bearer(customer))
    assert as_customer.status_code == 403
    assert settings.SESSION_COOKIE_NAME not in as_customer.cookies


def test_the_admin_keeps_its_frame_header_and_csrf(hops: list[str], transactional_db: None) -> None:
    login = asgi_request(hops, "GET", "/admin/login/")
    assert login.status == 200
    assert login.headers["x-frame-options"] == "DENY"
    assert "csrftoken=" in login.headers.get("set-cookie", "")
    refused = asgi_request(
        hops,
        "POST",
        "/admin/login/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        body=b"username=a%40b.c&password=x",
    )
    assert refused.status == 403
    assert b"CSRF" in refused.body


def _session_client(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_a_session_authenticated_unsafe_api_call_needs_its_csrf_token(transactional_db: None) -> None:
    """The browsable API signs in with the admin's session: its unsafe requests need the CSRF token."""
    manager = UserFactory.create(manager=True)
    client = _session_client(manager)
    body = {"name": "Lamps"}
    refused = client.post("/api/v1/categories/", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["errors"][0]["detail"]
    assert not Category.objects.filter(name="Lamps").exists()
    page = client.get("/api/v1/categories/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert page["X-Frame-Options"] == "DENY"  # HTML under /api/ keeps the frame header
    token = SimpleCookie(page.cookies.output(header="", sep=";"))[settings.CSRF_COOKIE_NAME].value
    accepted = client.post("/api/v1/categories/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.content


def test_the_admin_shows_a_message_after_a_save(transactional_db: None) -> None:
    """Through the async middleware chain (as under ASGI): the message is stored with the redirect, shown after."""
    admin = UserFactory.create(admin=True)
    category = CategoryFactory.create(name="Lamps")
    change = f"/admin/catalog/category/{category.pk}/change/"

    async def save() -> tuple[Any, Any]:
        client = AsyncClient()
        await client.aforce_login(admin)
        form: Any = await client.get(change)
        assert form.status_code == 200
        assert form["X-Frame-Options"] == "DENY"
        data = {name: "" if value is None else value for name, value in form.context["adminform"].form.initial.items()}
        saved: Any = await client.post(change, {**data, "name": "Lights", "parent": "", "_continue": "1"})
        shown: Any = await client.get(saved["Location"])
        return saved, shown

    saved, shown = async_to_sync(save)()
    assert saved.status_code == 302
    assert any("was changed successfully" in str(message) for message in shown.context["messages"])
    assert "was changed successfully" in shown.content.decode()


def test_the_deploy_checks_see_the_async_middleware(settings: Any) -> None:
    """Django's deploy checks find its middleware by dotted path; the subclasses count, and gated checks still run."""
    from django.core.checks.security import base, csrf, sessions

    assert base.check_security_middleware(None) == []
    assert base.check_xframe_options_middleware(None) == []
    assert csrf.check_csrf_middleware(None) == []
    settings.SECURE_HSTS_SECONDS = 0
    assert [warning.id for warning in base.check_sts(None)] == ["security.W004"]
    settings.SESSION_COOKIE_SECURE = False
    assert [warning.id for warning in sessions.check_session_cookie_secure(None)] == ["security.W012"]
    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if not path.endswith(".XFrameOptionsMiddleware")]
    assert [warning.id for warning in base.check_xframe_options_middleware(None)] == ["security.W002"]
