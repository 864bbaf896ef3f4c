"""The JSON log lines a block of code writes, as an operator's log collector would read them.

`captured()` puts Milepost's own formatter and context filter (`connector.logs`) on a handler
of the root logger for the block, at INFO, and afterwards holds each line parsed back from
JSON: a line that is not JSON fails the test.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connector.logs import ContextFilter, JsonFormatter


@contextmanager
def captured(level: int = logging.INFO) -> Iterator[list[dict[str, Any]]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    before = root.level
    root.addHandler(handler)
    root.setLevel(level)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(before)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def from_logger(lines: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == name]
