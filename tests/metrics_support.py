"""Reading counters from the test process's registry: what moved between two snapshots, and by how much."""

from __future__ import annotations

from prometheus_client import REGISTRY

Series = tuple[str, tuple[tuple[str, str], ...]]


def snapshot(*names: str) -> dict[Series, float]:
    """Every sample of the metric families ``names`` (``orders_placed``...), without the ``_created`` timestamps."""
    wanted = set(names)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in REGISTRY.collect()
        if family.name in wanted
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


def moved(before: dict[Series, float], *names: str) -> dict[str, float]:
    """``{"orders_refused_total{reason=insufficient_stock}": 1.0, ...}``: the series that changed since ``before``."""
    after = snapshot(*names)
    changes = {}
    for key, value in after.items():
        delta = value - before.get(key, 0.0)
        if delta:
            name, labels = key
            label_text = ",".join(f"{label}={value}" for label, value in labels)
            changes[f"{name}{{{label_text}}}" if labels else name] = delta
    return changes
