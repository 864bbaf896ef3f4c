"""placeholder"""
from typing import Any


def render_template(name: str, answers: dict[str, Any]) -> str:
    raise NotImplementedError
