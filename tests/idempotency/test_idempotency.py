import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.models import User
from core.errors import ConflictError, DomainError
from idempotency.models import IdempotencyKey, IdempotencyKeyState
from idempotency.services import idempotency_keys_purge, idempotent_response, request_fingerprint
from idempotency.tasks import idempotency_keys_purge as purge_task
from tests.factories import UserFactory


class _Endpoint(APIView):
    """A tiny endpoint wrapping ``run`` so requests go through DRF's real parsing and error handling."""

    run: Any = None
    required = False

    def post(self, request: Request) -> Response:
        return idempotent_response(request, required=self.required, run=lambda: type(self).run(request))


def _call(user: User, *, run: Any, key: str | None = "k-1", body: Any = None, required: bool = False) -> Response:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    payload = body if body is not None else {"a": 1}
    request = APIRequestFactory().post("/api/v1/things/", payload, format="json", **headers)
    force_authenticate(request, user=user)
    endpoint: type[_Endpoint] = type("Endpoint", (_Endpoint,), {"run": staticmethod(run), "required": required})
    view = endpoint.as_view()
    response = view(request)
    response.render()
    return response


def _counter() -> tuple[list[int], Any]:
    calls: list[int] = []

    def run(request: Request) -> Response:
        calls.append(1)
        return Response({"n": len(calls), "echo": request.data}, status=status.HTTP_201_CREATED)

    return calls, run


@pytest.mark.django_db
def test_without_key_runs_every_time() -> None:
    user = UserFactory.create()
    calls, run = _counter()
    _call(user, run=run, key=None)
    _call(user, run=run, key=None)
    assert len(calls) == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_required_key_missing_is_400() -> None:
    calls, run = _counter()
    response = _call(UserFactory.create(), run=run, key=None, required=True)
    assert response.status_code == 400
    assert response.data["errors"][0]["code"] == "idempotency_key_required"
    assert calls == []


@pytest.mark.django_db
def test_overlong_key_is_400() -> None:
    calls, run = _counter()
    response = _call(UserFactory.create(), run=run, key="x" * 256)
    assert response.status_code == 400
    assert response.data["errors"][0]["code"] == "idempotency_key_invalid"
    assert calls == []


@pytest.mark.django_db
def test_replay_returns_stored_response_without_rerunning() -> None:
    user = UserFactory.create()
    calls, run = _counter()
    first = _call(user, run=run, body={"a": 1, "b": [1, 2]})
    # Same body with keys in another order is the same request (canonical JSON).
    second = _call(user, run=run, body={"b": [1, 2], "a": 1})
    assert len(calls) == 1
    assert second.status_code == first.status_code == 201
    assert second.data == first.data == {"n": 1, "echo": {"a": 1, "b": [1, 2]}}
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    row = IdempotencyKey.objects.get()
    assert (row.state, row.response_status, row.method, row.path) == ("completed", 201, "POST", "/api/v1/things/")


@pytest.mark.django_db
def test_same_key_other_body_is_422() -> None:
    user = UserFactory.create()
    calls, run = _counter()
    _call(user, run=run, body={"a": 1})
    response = _call(user, run=run, body={"a": 2})
    assert response.status_code == 422
    assert response.data["errors"][0]["code"] == "idempotency_key_mismatch"
    assert len(calls) == 1


@pytest.mark.django_db
def test_keys_are_scoped_per_user() -> None:
    calls, run = _counter()
    _call(UserFactory.create(), run=run)
    response = _call(UserFactory.create(), run=run)
    assert response.status_code == 201
    assert len(calls) == 2
    assert IdempotencyKey.objects.count() == 2


@pytest.mark.django_db
def test_domain_error_is_stored_as_envelope_and_replayed() -> None:
    user = UserFactory.create()
    calls: list[int] = []

    def run(request: Request) -> Response:
        calls.append(1)
        raise ConflictError("Out of stock.", code="insufficient_stock", errors=[{"product_id": "p1", "requested": 2}])

    first = _call(user, run=run)
    second = _call(user, run=run)
    assert len(calls) == 1
    assert first.status_code == second.status_code == 409
    assert second.data == first.data
    assert first.data["errors"][0] == {
        "code": "insufficient_stock",
        "detail": "Out of stock.",
        "attr": None,
        "product_id": "p1",
        "requested": 2,
    }
    assert second["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_validation_error_is_stored_too() -> None:
    user = UserFactory.create()
    calls: list[int] = []

    def run(request: Request) -> Response:
        calls.append(1)
        raise ValidationError({"quantity": ["Too many."]})

    assert _call(user, run=run).status_code == 400
    replay = _call(user, run=run)
    assert replay.status_code == 400
    assert replay.data["errors"][0]["attr"] == "quantity"
    assert len(calls) == 1


@pytest.mark.django_db
def test_server_error_response_releases_the_claim() -> None:
    user = UserFactory.create()
    outcomes = iter([Response({"oops": True}, status=503), Response({"ok": True}, status=201)])
    first = _call(user, run=lambda request: next(outcomes))
    assert first.status_code == 503
    assert not IdempotencyKey.objects.exists()
    second = _call(user, run=lambda request: next(outcomes))
    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second


@pytest.mark.django_db
def test_domain_5xx_releases_the_claim() -> None:
    user = UserFactory.create()

    def run(request: Request) -> Response:
        raise DomainError("Provider down.", code="provider_unavailable", status_code=503)

    assert _call(user, run=run).status_code == 503
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db
def test_unexpected_exception_releases_the_claim() -> None:
    user = UserFactory.create()

    def boom(request: Request) -> Response:
        raise RuntimeError("bug")

    response = _call(user, run=boom)
    assert response.status_code == 500
    assert not IdempotencyKey.objects.exists()
    calls, run = _counter()
    assert _call(user, run=run).status_code == 201
    assert len(calls) == 1


@pytest.mark.django_db
def test_in_progress_key_is_409() -> None:
    user = UserFactory.create()
    fingerprint = request_fingerprint(method="POST", path="/api/v1/things/", body={"a": 1})
    IdempotencyKey.objects.create(user=user, key="k-1", method="POST", path="/api/v1/things/", fingerprint=fingerprint)
    calls, run = _counter()
    response = _call(user, run=run)
    assert response.status_code == 409
    assert response.data["errors"][0]["code"] == "idempotency_in_progress"
    assert calls == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_gets_409_while_first_runs() -> None:
    user = UserFactory.create()
    started, release = threading.Event(), threading.Event()
    results: dict[str, Response] = {}

    def slow(request: Request) -> Response:
        started.set()
        assert release.wait(10)
        return Response({"done": True}, status=201)

    def first() -> None:
        try:
            results["first"] = _call(user, run=slow)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    # The claim is committed before the work starts, so the duplicate sees it at once.
    duplicate = _call(user, run=slow)
    release.set()
    thread.join(10)
    assert duplicate.status_code == 409
    assert duplicate.data["errors"][0]["code"] == "idempotency_in_progress"
    assert results["first"].status_code == 201
    replay = _call(user, run=slow)
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_purge_removes_only_expired_keys(settings: Any) -> None:
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    user = UserFactory.create()
    old = IdempotencyKey.objects.create(user=user, key="old", method="POST", path="/", fingerprint="f")
    fresh = IdempotencyKey.objects.create(user=user, key="fresh", method="POST", path="/", fingerprint="f")
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh.pk]
    IdempotencyKey.objects.filter(pk=fresh.pk).update(created_at=timezone.now() - timedelta(hours=30))
    assert purge_task.delay().get() == 1


@pytest.mark.django_db
def test_expired_key_not_yet_purged_counts_as_unused(settings: Any) -> None:
    user = UserFactory.create()
    calls, run = _counter()
    _call(user, run=run, body={"a": 1})
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS + 1))
    response = _call(user, run=run, body={"a": 2})
    assert response.status_code == 201
    assert len(calls) == 2
    assert IdempotencyKey.objects.get().state == IdempotencyKeyState.COMPLETED
