"""The metric names a PromQL expression reads, found by a small tokenizer (no PromQL parser is a dependency).

What is not a metric name is dropped: strings, label matchers (everything between ``{`` and ``}``), ranges and
subqueries (``[5m]``, ``[1h:1m]``), durations, numbers, Grafana variables (``$__rate_interval``), functions and
aggregations (a name followed by ``(``, or an aggregation followed by ``by``/``without``), keywords and set
operators, and the label lists of ``by``, ``without``, ``on``, ``ignoring``, ``group_left`` and ``group_right``.
"""

from __future__ import annotations

import re

AGGREGATIONS = frozenset(
    {
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
    }
)
GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "start", "end"}) | GROUPING

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<variable>\$\{[^}]*\}|\$\w+)
  | (?P<duration>(?:\d+(?:ms|s|m|h|d|w|y))+(?![\w.]))
  | (?P<number>0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<open>[({\[])
  | (?P<close>[)}\]])
  | (?P<other>[^\sA-Za-z0-9_:(){}\[\]"'`$]+|.)
    """,
    re.VERBOSE,
)


def tokens(expr: str) -> list[tuple[str, str]]:
    """(kind, text) pairs, without spaces and comments."""
    found = []
    for match in _TOKEN.finditer(expr):
        kind = str(match.lastgroup)
        if kind != "space":
            found.append((kind, match.group()))
    return found


def metric_names_in(expr: str) -> set[str]:
    """The metric names ``expr`` selects: ``sum by (le) (rate(x_bucket{a="b"}[5m]))`` -> ``{"x_bucket"}``."""
    items = tokens(expr)
    names: set[str] = set()
    depth_braces = depth_brackets = 0
    skip_group_until: int | None = None  # the paren depth whose closing ends a label list
    paren_depth = 0
    i = 0
    while i < len(items):
        kind, text = items[i]
        following = items[i + 1] if i + 1 < len(items) else ("", "")
        if kind == "open":
            if text == "{":
                depth_braces += 1
            elif text == "[":
                depth_brackets += 1
            else:
                paren_depth += 1
        elif kind == "close":
            if text == "}":
                depth_braces -= 1
            elif text == "]":
                depth_brackets -= 1
            else:
                if skip_group_until == paren_depth:
                    skip_group_until = None
                paren_depth -= 1
        elif kind == "name" and not (depth_braces or depth_brackets or skip_group_until is not None):
            lowered = text.lower()
            if lowered in GROUPING:
                if following == ("open", "("):
                    skip_group_until = paren_depth + 1
            elif lowered in KEYWORDS or lowered in AGGREGATIONS:
                pass
            elif following == ("open", "("):
                pass  # a function call
            else:
                names.add(text)
        i += 1
    return names
