"""A hold by Milepost's own rate gate is not a platform fault: it is handed back at once.

The gate has already held the caller as long as it may (`max_wait`), so the retry policy does
not sit it out again; the job puts the work back for a later run. Only when a create's answer
was lost before the hold does the caller hear `OutcomeUnknown`, so the next try looks first.
"""

from __future__ import annotations

import pytest

from connector.platforms.errors import HeldBack, OutcomeUnknown, RateLimited
from connector.platforms.limits import Budget, RateGate
from connector.platforms.retry import create_once, platform_retrying

ATTEMPTS = 5


def no_sleep(_seconds: float) -> None:
    return None


def retrying():  # type: ignore[no-untyped-def]
    return platform_retrying(attempts=ATTEMPTS, sleep=no_sleep)


class Calls:
    def __init__(self, *outcomes: object) -> None:
        self.outcomes, self.count = list(outcomes), 0

    def __call__(self) -> object:
        self.count += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def held() -> HeldBack:
    return HeldBack("rate budget for connection 7 is spent", retry_after=12.0, platform="xero",
                    code="milepost-rate")


def test_the_gate_says_held_back_when_the_budget_is_spent() -> None:
    gate = RateGate(budgets={"xero": Budget(rates=("1/minute",), concurrency=1)}, max_wait=0)
    with gate.slot("xero", "7"):
        pass

    with pytest.raises(HeldBack) as caught, gate.slot("xero", "7"):
        pass

    assert caught.value.code == "milepost-rate"
    assert isinstance(caught.value, RateLimited)  # still a rate limit to anyone who asks


def test_a_hold_is_handed_back_after_one_call_not_retried() -> None:
    call = Calls(held())

    with pytest.raises(HeldBack):
        retrying()(call)

    assert call.count == 1


def test_a_platform_throttle_is_still_retried() -> None:
    call = Calls(RateLimited("throttled", retry_after=0.0, platform="xero"), "ok")

    assert retrying()(call) == "ok"
    assert call.count == 2


def test_a_create_held_before_anything_was_sent_is_a_hold() -> None:
    create, lookup = Calls(held()), Calls(None)

    with pytest.raises(HeldBack):
        create_once(retrying(), create, lookup)

    assert (create.count, lookup.count) == (1, 0)


def test_a_create_whose_answer_was_lost_and_whose_lookup_was_held_is_outcome_unknown() -> None:
    create, lookup = Calls(OutcomeUnknown("no answer", platform="xero")), Calls(held())

    with pytest.raises(OutcomeUnknown) as caught:
        create_once(retrying(), create, lookup)

    assert (create.count, lookup.count) == (1, 1)
    assert "rate budget for connection 7 is spent" in str(caught.value)


def test_a_hold_after_an_earlier_process_lost_the_answer_stays_a_hold() -> None:
    """The row already says the outcome is unknown (its attempts count), so nothing is lost."""
    create, lookup = Calls("created"), Calls(held())

    with pytest.raises(HeldBack):
        create_once(retrying(), create, lookup, outcome_unknown=True)

    assert create.count == 0
