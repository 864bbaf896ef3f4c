"""The messages Milepost sends, each with a plain-text and an HTML part.

A message is built from the facts its outbox row was queued with (`store.mail_outbox`) plus
the links made at send time; the templates are `templates/{message}.txt` and `.html` (Jinja,
the HTML escaped). The headers that make a resend recognisable are fixed by the row, not by
the moment of sending: `Message-ID` comes from the row's id and key (`message_id`) and `Date`
from when it was queued, so the same row always yields the same message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

SUBJECTS = {
    "approval_request": "Please review: {milestone} ({project})",
    "approval_reminder": "Reminder: {milestone} ({project}) is accepted unless you answer by {deadline_day}",
    "deemed_accepted": "Deemed accepted: {milestone} ({project})",
    "intent_failed": "Milepost: {intent_kind} for {project_key} failed",
    "needs_reconnect": "Milepost: reconnect {company} ({platform})",
}


class UnknownMessage(ValueError):
    """An outbox row names a message this version does not know."""


def message_id(outbox_id: int, key: str, sender: str) -> str:
    """The Message-ID of every send of one outbox row: the same after a crash and a resend,
    so a second copy is recognisable (mail clients and many servers fold duplicates by it)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "milepost.invalid"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"<milepost.{outbox_id}.{digest}@{domain}>"


def compose(facts: Mapping[str, Any], *, sender: str, msg_id: str, queued_at: datetime,
            links: Mapping[str, str]) -> EmailMessage:
    """The message for one outbox row: `facts` as queued, `links` ("portal", "admin") made now."""
    name = str(facts.get("message"))
    if name not in SUBJECTS:
        raise UnknownMessage(f"unknown message {name!r}")
    values = {**facts, **links, **_deadline_words(facts)}
    message = EmailMessage()
    message["Subject"] = SUBJECTS[name].format(**values)
    message["From"] = sender
    message["To"] = _recipient(facts)
    message["Date"] = format_datetime(queued_at)
    message["Message-ID"] = msg_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message.set_content(_templates().get_template(f"{name}.txt").render(values))
    message.add_alternative(_templates().get_template(f"{name}.html").render(values), subtype="html")
    return message


def _recipient(facts: Mapping[str, Any]) -> Address:
    display, address = parseaddr(str(facts["to"]))
    local, _, domain = address.rpartition("@")
    return Address(display_name=str(facts.get("approver") or display), username=local, domain=domain)


def _deadline_words(facts: Mapping[str, Any]) -> dict[str, str]:
    """The approval deadline as a person reads it, in the project's time zone."""
    if not facts.get("deadline"):
        return {"deadline_day": "", "deadline": ""}
    zone = str(facts.get("time_zone") or "UTC")
    at = datetime.fromisoformat(str(facts["deadline"])).astimezone(ZoneInfo(zone))
    day = f"{at:%A} {at.day} {at:%B %Y}"
    return {"deadline_day": day, "deadline": f"the end of {day} ({zone} time)"}


@lru_cache(maxsize=1)
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("connector.mail", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
