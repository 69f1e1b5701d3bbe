import threading

from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.throttling import LoginRateThrottle
from tests.metrics_support import moved, snapshot


class FiveAMinute(LoginRateThrottle):
    THROTTLE_RATES = {"login": "5/min"}


def _request(email: str = "a@example.com") -> Request:
    raw = APIRequestFactory().post("/api/v1/auth/token/", {"email": email}, format="json")
    return Request(raw, parsers=[JSONParser()])


def test_sliding_window_allows_the_rate_then_gives_retry_after():
    results = [FiveAMinute().allow_request(_request(), None) for _ in range(5)]
    assert results == [True] * 5
    throttle = FiveAMinute()
    assert throttle.allow_request(_request(), None) is False
    wait = throttle.wait()
    assert wait is not None
    assert 0 < wait <= 60
    assert FiveAMinute().allow_request(_request("other@example.com"), None) is True


def test_concurrent_requests_cannot_share_the_last_slot():
    allowed: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def hit() -> None:
        barrier.wait()
        result = FiveAMinute().allow_request(_request(), None)
        with lock:
            allowed.append(result)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 5


def test_fails_open_when_redis_is_unreachable(settings):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {**settings.CACHES["throttle"], "LOCATION": "redis://127.0.0.1:1/3"},
    }
    assert all(FiveAMinute().allow_request(_request(), None) for _ in range(10))


def test_no_rate_means_no_limit():
    class Unlimited(LoginRateThrottle):
        THROTTLE_RATES = {"login": None}

    assert all(Unlimited().allow_request(_request(), None) for _ in range(10))


def test_script_is_reloaded_after_redis_forgets_it():
    from django_redis import get_redis_connection

    assert FiveAMinute().allow_request(_request(), None) is True
    get_redis_connection("throttle").script_flush()  # e.g. Redis restarted
    assert FiveAMinute().allow_request(_request(), None) is True


def test_checks_from_many_threads_keep_no_clients_alive():
    """Each thread (as each ASGI request) gets its own cache client; none may outlive its thread."""
    import gc

    import redis

    def checks(threads: int) -> None:
        for _ in range(threads):
            thread = threading.Thread(target=lambda: FiveAMinute().allow_request(_request("t@example.com"), None))
            thread.start()
            thread.join()

    def live_clients() -> int:
        gc.collect()
        # type(), not isinstance(): gc also holds dead weak proxies, which isinstance() would dereference.
        return sum(issubclass(type(obj), redis.Redis) for obj in gc.get_objects())

    checks(5)
    before = live_clients()
    checks(40)
    assert live_clients() <= before


def test_async_checks_share_the_window_with_sync_checks():
    from asgiref.sync import async_to_sync

    assert [FiveAMinute().allow_request(_request(), None) for _ in range(3)] == [True] * 3
    assert [async_to_sync(FiveAMinute().aallow_request)(_request(), None) for _ in range(2)] == [True] * 2
    throttle = FiveAMinute()
    assert async_to_sync(throttle.aallow_request)(_request(), None) is False
    assert 0 < (throttle.wait() or 0) <= 60
    assert FiveAMinute().allow_request(_request(), None) is False


def test_async_check_reloads_the_script_and_fails_open(settings):
    from asgiref.sync import async_to_sync
    from django_redis import get_redis_connection

    get_redis_connection("throttle").script_flush()
    assert async_to_sync(FiveAMinute().aallow_request)(_request(), None) is True

    settings.CACHES = {
        **settings.CACHES,
        "throttle": {**settings.CACHES["throttle"], "LOCATION": "redis://127.0.0.1:1/3"},
    }
    assert all(async_to_sync(FiveAMinute().aallow_request)(_request(), None) for _ in range(10))


def test_each_refusal_is_counted_by_the_scope_that_refused():
    before = snapshot("http_throttled")
    results = [FiveAMinute().allow_request(_request("counted@example.com"), None) for _ in range(8)]
    assert results == [True] * 5 + [False] * 3
    assert moved(before, "http_throttled") == {"http_throttled_total{scope=login}": 3}
