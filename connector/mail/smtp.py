"""Sending one message over SMTP with `[mail]`'s server, TLS mode and credentials.

TLS: `starttls` (the submission port, 587: plain connection, then STARTTLS, refused if the
server does not offer it), `ssl` (implicit TLS, 465) or `none` (a relay on the same host or
network). Certificates are checked against the system's trust store.

Failures come back as one error, `MailError`, whose `retryable` says what the caller should do:
the server unreachable or timing out, a dropped connection and any 4xx answer (greylisting, a
full queue, a temporary authentication failure) may go through later; any 5xx answer (unknown
mailbox, a refused sender, wrong credentials), a server without STARTTLS or a certificate that
does not verify will not, until someone changes something. Retryable failures are tried again
at once a few times with a growing, jittered wait (tenacity) before the error is raised.

One failure is neither: the connection lost (or timed out) after DATA began, before the
server's answer to the message. The server may have taken it, and SMTP cannot be asked. That
error says so (`outcome_unknown`) and is not tried again at once; the outbox records it on the
row and sends the message again after its backoff, with the same Message-ID (`jobs.mail` says
why a possible second copy is better than a possibly lost one).

The password is a secret: it is only ever handed to `smtplib.login`; an error's text is
scrubbed of it (and of its base64 forms, which is how AUTH carries it) before it is raised,
and the library's exception is not chained, so no log line or stored error can carry it.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from connector.config import MailSettings

ATTEMPTS = 3  # within one send; the outbox then waits longer before the next try (jobs.mail)


class MailError(Exception):
    """The server did not take a message; the text is the server's answer, never a secret."""

    def __init__(self, message: str, *, retryable: bool, code: int | None = None,
                 outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code
        self.outcome_unknown = outcome_unknown  # the server may have taken the message


def send(settings: MailSettings, message: EmailMessage) -> None:
    """Hand `message` to the server, retrying what may pass a moment later; MailError if not."""
    retrying = Retrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_random_exponential(multiplier=0.5, max=5),
        retry=retry_if_exception(lambda error: isinstance(error, MailError) and error.retryable
                                 and not error.outcome_unknown),
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            _send_once(settings, message)


def _send_once(settings: MailSettings, message: EmailMessage) -> None:
    try:
        server = _connect(settings)
    except OSError as error:  # smtplib's own errors are OSErrors too
        raise _classified(error, settings) from None
    data_begun: list[bool] = []
    begin_data = server.data

    def data(msg: Any) -> tuple[int, bytes]:  # from here on the server may take it
        data_begun.append(True)
        return begin_data(msg)

    server.data = data  # type: ignore[method-assign]
    try:
        if settings.tls == "starttls":
            server.starttls(context=ssl.create_default_context())
        if settings.user:
            server.login(settings.user, settings.password or "")
        server.send_message(message)
    except OSError as error:
        if data_begun and isinstance(error, smtplib.SMTPServerDisconnected | TimeoutError):
            raise MailError(f"SMTP {settings.host}:{settings.port}: the connection was lost after the "
                            "message was handed over, before the server said whether it took it: it may "
                            "have been delivered; it is sent again later, with the same Message-ID",
                            retryable=True, outcome_unknown=True) from None
        raise _classified(error, settings) from None
    finally:
        _quit(server)


def _quit(server: smtplib.SMTP) -> None:
    """Say goodbye; once the message was taken, a failed QUIT must not make it a failure (it
    would be sent again)."""
    try:
        server.quit()
    except OSError:
        server.close()


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.tls == "ssl":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_seconds,
                                context=ssl.create_default_context())
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)


def _classified(error: BaseException, settings: MailSettings) -> MailError:
    where = f"SMTP {settings.host}:{settings.port}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = list(error.recipients.values())
        code, text = answers[0] if answers else (550, b"recipient refused")
        return _answer(where, code, text, settings)
    if isinstance(error, smtplib.SMTPResponseException):
        return _answer(where, error.smtp_code, error.smtp_error, settings)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return MailError(_scrub(f"{where}: {error} (check [mail] tls)", settings), retryable=False)
    if isinstance(error, ssl.SSLError):
        return MailError(_scrub(f"{where}: TLS failed: {error.reason or error}", settings), retryable=False)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return MailError(f"{where}: the server closed the connection", retryable=True)
    if isinstance(error, TimeoutError):
        return MailError(f"{where}: no answer within {settings.timeout_seconds} s", retryable=True)
    if isinstance(error, OSError):
        return MailError(_scrub(f"{where}: cannot connect: {error.strerror or error}", settings),
                         retryable=True)
    return MailError(_scrub(f"{where}: {error}", settings), retryable=False)


def _answer(where: str, code: int, text: bytes | str, settings: MailSettings) -> MailError:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return MailError(_scrub(f"{where} answered {code} {said}".strip(), settings),
                     retryable=400 <= code < 500, code=code)


def _scrub(text: str, settings: MailSettings) -> str:
    """`text` without the password in any form AUTH could have carried it."""
    password = settings.password
    if not password:
        return text
    forms = {password, _b64(password), _b64(f"\0{settings.user}\0{password}"),
             _b64(f"{settings.user}\0{password}")}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "[redacted]")
    return text


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()
