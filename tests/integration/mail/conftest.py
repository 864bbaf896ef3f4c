"""A real SMTP server (aiosmtpd) on a free port, started by the tests, and a stack that mails it.

`inbox` is the server: what arrived (`inbox.messages`, parsed), how many times a client tried
(`inbox.attempts`), answers to give instead of 250 (`inbox.answers`, taken in turn), and how
many messages to take and then hang up on before answering (`inbox.drops`).
`stack` is the jobs' stack (sandbox, database, web app) with `[mail]` pointing at that server,
a bookkeeper address and an app secret key, so the worker's links open in the web app.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from connector.config import MailSettings, Settings
from tests.jobs_harness import Stack
from tests.stack_fixtures import (  # noqa: F401 - pytest finds fixtures by name
    sandbox,
    xero_traffic_follows_the_spec,
)

SECRET_KEY = "mail-tests-secret-key-" + "k" * 20
BOOKKEEPER = "books@studio.example"
SENDER = "Studio Billing <billing@studio.example>"
USER, PASSWORD = "studio", "s3cret-Pa55word!"


@dataclass
class Inbox:
    """What the server received, and what it should answer."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    attempts: int = 0
    answers: list[str] = field(default_factory=list)  # e.g. "451 4.3.0 try later", used in turn
    drops: int = 0  # how many messages to take and then hang up on, before any answer

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.attempts += 1
        if self.answers:
            return self.answers.pop(0)
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        if self.drops:
            self.drops -= 1
            server.transport.close()  # taken, but the client never hears so
        return "250 2.0.0 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    def about(self, word: str) -> list[EmailMessage]:
        return [m for m in self.messages if word in str(m["Subject"])]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def echoing_authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    """Accepts USER/PASSWORD; a wrong password is refused with an answer that quotes what the
    client sent (some servers do), so the tests can see Milepost never repeats it."""
    if isinstance(data, LoginPassword) and data.login.decode() == USER and data.password.decode() == PASSWORD:
        return AuthResult(success=True)
    said = data.password.decode() if isinstance(data, LoginPassword) else ""
    return AuthResult(success=False, handled=False, message=f"535 5.7.8 credentials refused: {said}")


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    """A plain SMTP server (no TLS, no sign-in) on a free port."""
    yield from _serve(Inbox())


@pytest.fixture
def guarded_inbox() -> Iterator[Inbox]:
    """An SMTP server that wants USER/PASSWORD (over plain text: a test server only)."""
    yield from _serve(Inbox(), authenticator=echoing_authenticator, auth_required=True,
                      auth_require_tls=False)


def _serve(box: Inbox, **options: Any) -> Iterator[Inbox]:
    box.port = free_port()
    controller = Controller(box, hostname=box.host, port=box.port, **options)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def mail_for(box: Inbox, **changes: Any) -> MailSettings:
    """`[mail]` for the test server: no TLS (a local test server), the bookkeeper set."""
    return replace(MailSettings(host=box.host, port=box.port, tls="none", from_address=SENDER,
                                bookkeeper=BOOKKEEPER, timeout_seconds=5), **changes)


def with_mail(settings: Settings, mail: MailSettings) -> Settings:
    return replace(settings, mail=mail, app=replace(settings.app, secret_key=SECRET_KEY))


@pytest.fixture
def mail_stack(sandbox, database_url, inbox) -> Iterator[Stack]:  # noqa: F811 - the imported fixture
    """The jobs' stack with e-mail on: the web app queues, the context's drain sends."""
    yield from _stack(sandbox, database_url, lambda settings: with_mail(settings, mail_for(inbox)))


@pytest.fixture
def no_bookkeeper_stack(sandbox, database_url, inbox) -> Iterator[Stack]:  # noqa: F811 - the imported fixture
    """E-mail on for approvers, no bookkeeper address."""
    yield from _stack(sandbox, database_url,
                      lambda settings: with_mail(settings, mail_for(inbox, bookkeeper="")))


@pytest.fixture
def plain_stack(sandbox, database_url) -> Iterator[Stack]:  # noqa: F811 - the imported fixture
    """The jobs' stack as shipped: no `[mail]`."""
    yield from _stack(sandbox, database_url, lambda settings: settings)


def _stack(server: Any, database_url: str, configure: Callable[[Settings], Settings]) -> Iterator[Stack]:
    server.control.reset()
    built = Stack.build(server, database_url)
    built.settings = configure(built.settings)
    built.start_web()
    try:
        yield built
    finally:
        built.stop()
