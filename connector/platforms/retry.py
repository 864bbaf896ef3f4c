"""The one retry policy for platform calls, defined once.

Only `RetriableError` is retried (throttling, 5xx, network, unknown outcome); a validation
error, a conflict or a refused token fails at once because the same request would fail again.
Waits grow exponentially with full jitter, so a crowd of workers does not retry in step, and a
platform's `Retry-After` wins over the computed wait when it is longer. Attempts are bounded;
after the last one the platform's own error is raised, not a tenacity wrapper.

A `HeldBack` (our own rate gate, which has already held the caller as long as it may) is not
retried here: the job puts its work back for a later run instead of holding a worker longer.

Each retry is logged (a warning naming the platform's error and the wait) before the wait, so
the line carries the failed answer's request id (`intuit_tid`, `xero_correlation_id`) that the
client noted (`answers.answered`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    stop_after_attempt,
    wait_random_exponential,
)

from .errors import HeldBack, OutcomeUnknown, RateLimited, RetriableError

T = TypeVar("T")
log = logging.getLogger("milepost.platforms.retry")

DEFAULT_ATTEMPTS = 5
DEFAULT_MAX_WAIT = 60.0  # seconds; a longer Retry-After (Xero's daily limit) is handed back


class RetryAfterLonger:
    """Wait strategy: the jittered exponential wait, or the platform's Retry-After if longer."""

    def __init__(self, multiplier: float, max_wait: float) -> None:
        self._jittered = wait_random_exponential(multiplier=multiplier, max=max_wait)
        self._max_wait = max_wait

    def __call__(self, state: RetryCallState) -> float:
        computed = float(self._jittered(state))
        outcome = state.outcome
        error = outcome.exception() if outcome is not None and outcome.failed else None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return min(max(computed, error.retry_after), self._max_wait)
        return computed


def _give_up_on_long_retry_after(max_wait: float) -> Callable[[RetryCallState], bool]:
    """Do not sit out a Retry-After longer than max_wait (Xero's day limit): fail now and let the
    job come back later instead of holding a worker for hours."""

    def should_retry(state: RetryCallState) -> bool:
        outcome = state.outcome
        if outcome is None or not outcome.failed:
            return False
        error = outcome.exception()
        if not isinstance(error, RetriableError) or isinstance(error, HeldBack):
            return False
        return not (
            isinstance(error, RateLimited)
            and error.retry_after is not None
            and error.retry_after > max_wait
        )

    return should_retry


def _only_on_retries(
    hook: Callable[[RetryCallState], None] | None,
) -> Callable[[RetryCallState], None]:
    def before(state: RetryCallState) -> None:
        if hook is not None and state.attempt_number > 1:
            hook(state)

    return before


def _log_retry(state: RetryCallState) -> None:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None and outcome.failed else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    # A PlatformError's text is already scrubbed of tokens and secrets (errors.redact).
    log.warning("attempt %d failed (%s), retrying in %.1f s", state.attempt_number, error, wait)


def platform_retrying(
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    multiplier: float = 0.5,
    max_wait: float = DEFAULT_MAX_WAIT,
    sleep: Callable[[float], None] = time.sleep,
    before_retry: Callable[[RetryCallState], None] | None = None,
) -> Retrying:
    """A tenacity `Retrying` for one platform operation.

    `before_retry` runs before every retry (after the wait): the gateways use it to look a
    create's key up when the previous try's outcome is unknown.
    """
    return Retrying(
        retry=_give_up_on_long_retry_after(max_wait),
        wait=RetryAfterLonger(multiplier, max_wait),
        stop=stop_after_attempt(attempts),
        sleep=sleep,
        before=_only_on_retries(before_retry),
        before_sleep=_log_retry,
        reraise=True,
    )


def call_with_retry(fn: Callable[[], T], retrying: Retrying | None = None) -> T:
    """Run `fn` under the policy and return its result or raise the last platform error."""
    return (retrying or platform_retrying())(fn)


def create_once(
    retrying: Retrying,
    create: Callable[[], T],
    find_existing: Callable[[], T | None],
    *,
    outcome_unknown: bool = False,
) -> T:
    """Create under the policy without ever creating twice.

    Once a try's outcome is unknown (or the caller says an earlier process's was), every later
    try first looks the idempotency key up and returns what it finds instead of creating. If
    the rate gate then holds the lookup back, the caller hears `OutcomeUnknown`, not
    `HeldBack`: a hold costs no attempt, and the attempt that follows must still look first.
    """
    unknown = outcome_unknown

    def attempt() -> T:
        nonlocal unknown
        if unknown and (existing := find_existing()) is not None:
            return existing
        try:
            return create()
        except OutcomeUnknown:
            unknown = True
            raise

    try:
        return retrying(attempt)
    except HeldBack as held:
        if unknown and not outcome_unknown:
            raise OutcomeUnknown(f"a create's answer never came, then {held.message}",
                                 platform=held.platform, code=held.code) from held
        raise
