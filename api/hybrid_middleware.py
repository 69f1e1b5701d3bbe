"""The base of the project's own middleware: sync and async capable, so under ASGI a request never hops to a thread
for it (Django adapts a sync-only middleware with a thread hop per request, see :mod:`api.static`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase


class HybridMiddleware(ABC):
    """Subclasses write ``sync_call`` and ``async_call``; the stack's own mode decides which one runs."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self._is_async = iscoroutinefunction(get_response)
        if self._is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self._is_async:
            return self.async_call(request)
        return self.sync_call(request)

    @abstractmethod
    def sync_call(self, request: HttpRequest) -> HttpResponseBase: ...

    @abstractmethod
    async def async_call(self, request: HttpRequest) -> HttpResponseBase: ...

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        return await get_response(request)
