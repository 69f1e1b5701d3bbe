import threading

from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from common.throttling import LoginRateThrottle


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
