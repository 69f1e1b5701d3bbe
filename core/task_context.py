"""Log context for Celery tasks: the request id travels with every task a request causes.

Publishing a task while a request id is bound (a request, or a task caused by one) adds it to the message headers;
the worker binds it, with the task's name and id, for every log line of the task (:mod:`core.logging`). Tasks run
in-process (eager) keep the context of their caller and get the task's name and id on top, removed afterwards.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery.signals import before_task_publish, task_postrun, task_prerun

from core.logging import current_request_id

HEADER = "request_id"
_tokens: dict[str, Any] = {}


@before_task_publish.connect(weak=False)
def _request_id_to_headers(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is not None and not headers.get(HEADER):
        request_id = current_request_id()
        if request_id:
            headers[HEADER] = request_id


@task_prerun.connect(weak=False)
def _bind_task_context(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    values: dict[str, Any] = {"task": getattr(task, "name", None), "task_id": task_id}
    request_id = getattr(getattr(task, "request", None), HEADER, None)
    if request_id:
        values[HEADER] = str(request_id)
    _tokens[str(task_id)] = structlog.contextvars.bind_contextvars(**values)


@task_postrun.connect(weak=False)
def _unbind_task_context(task_id: str | None = None, **kwargs: Any) -> None:
    tokens = _tokens.pop(str(task_id), None)
    if tokens:
        structlog.contextvars.reset_contextvars(**tokens)
