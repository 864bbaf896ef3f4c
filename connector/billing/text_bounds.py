"""The bounds of free text, apart from the schedule's pydantic shape so that checking a
command-line argument does not import pydantic (`milepost report KEY` checks KEY).

`connector.billing.schema` uses and re-exports these; the CLI's arguments, the web forms and
the API bodies are bounded by the same numbers and the same characters.
"""

from __future__ import annotations

import re

LONG_TEXT = 4000  # deliverables, acceptance criteria, reasons (a QuickBooks line holds 4000)
NAME = 200  # names, roles, companies: the columns' length (connector.store.models)

# C0/C1 controls (NUL included), lone surrogates (unencodable in UTF-8) and the bidirectional
# overrides and isolates that make text read differently from what it is (U+202E).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def text_problem(value: str, limit: int, *, multiline: bool = False) -> tuple[str, str] | None:
    """(rule, message) when the text is too long or holds a control character, else None."""
    if len(value) > limit:
        return "too_long", f"at most {limit} characters, got {len(value)}"
    found = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    if found:
        return "control_character", f"control character U+{ord(found.group()):04X} is not allowed"
    return None
