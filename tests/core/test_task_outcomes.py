"""celery_tasks_total counts every task run exactly once with its outcome, whether a worker ran it or it ran in
process (eager: tests, ``make run`` with CELERY_TASK_ALWAYS_EAGER, ``apply()``), where a failure is re-raised to the
caller and Celery reports the run with no state."""

from __future__ import annotations

from typing import Any

import pytest

from config.celery import app as celery_app
from tests.metrics_support import moved, snapshot


@celery_app.task(name="tests.task_outcomes.fails")
def fails() -> None:
    raise ValueError("the task failed")


@celery_app.task(name="tests.task_outcomes.succeeds")
def succeeds() -> int:
    return 1


@celery_app.task(name="tests.task_outcomes.retries", bind=True, max_retries=3)
def retries(self: Any) -> None:
    raise self.retry(countdown=60)


@celery_app.task(name="tests.task_outcomes.autoretries", autoretry_for=(OSError,), max_retries=3)
def autoretries() -> None:
    raise OSError("the disk is away")


def outcomes(before: Any) -> dict[str, float]:
    return {
        key: value
        for key, value in moved(before, "celery_tasks", "celery_task_duration_seconds").items()
        if "_bucket" not in key and "_sum" not in key
    }


def test_an_eager_failure_is_counted_once_as_failed() -> None:
    before = snapshot("celery_tasks", "celery_task_duration_seconds")
    with pytest.raises(ValueError, match="the task failed"):
        fails.delay()
    assert outcomes(before) == {
        "celery_tasks_total{outcome=failed,task=tests.task_outcomes.fails}": 1,
        "celery_task_duration_seconds_count{task=tests.task_outcomes.fails}": 1,
    }


def test_a_failure_not_propagated_is_counted_once_as_failed() -> None:
    """``apply()`` without propagation takes the path a worker takes: Celery records the FAILURE state itself."""
    before = snapshot("celery_tasks", "celery_task_duration_seconds")
    result = fails.apply(throw=False)
    assert result.failed()
    assert outcomes(before) == {
        "celery_tasks_total{outcome=failed,task=tests.task_outcomes.fails}": 1,
        "celery_task_duration_seconds_count{task=tests.task_outcomes.fails}": 1,
    }


def test_eager_successes_and_retries_are_counted_once_each() -> None:
    from celery.exceptions import Retry

    before = snapshot("celery_tasks", "celery_task_duration_seconds")
    assert succeeds.delay().get() == 1
    with pytest.raises(Retry):
        retries.delay()
    with pytest.raises(Retry):
        autoretries.delay()
    assert outcomes(before) == {
        "celery_tasks_total{outcome=succeeded,task=tests.task_outcomes.succeeds}": 1,
        "celery_tasks_total{outcome=retried,task=tests.task_outcomes.retries}": 1,
        "celery_tasks_total{outcome=retried,task=tests.task_outcomes.autoretries}": 1,
        "celery_task_duration_seconds_count{task=tests.task_outcomes.succeeds}": 1,
        "celery_task_duration_seconds_count{task=tests.task_outcomes.retries}": 1,
        "celery_task_duration_seconds_count{task=tests.task_outcomes.autoretries}": 1,
    }
