"""Specification: an invoice intent survives its trip through the outbox's JSON unchanged."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from connector.billing import lifecycle as lc
from connector.billing.intents import invoice_intent_for
from connector.billing.model import BillingMode
from connector.billing.money import Money
from connector.billing.progress import MonthlyCharge, monthly_intent, record_progress
from connector.store.records import intent_from_json, intent_json

from .conftest import acme, at


def stored_and_read_back(intent):
    """What the drainer sees: the payload as the database returns it (plain JSON)."""
    return intent_from_json(json.loads(json.dumps(intent_json(intent))))


def test_a_monthly_intent_keeps_which_milestone_each_line_bills():
    s = acme()
    ms = list(s.milestones)
    ms[2] = replace(ms[2], billing_mode=BillingMode.PROGRESS)
    ms[1], _ = lc.accept(s.project, ms[1], at(2026, 11, 20, 15), "Dana Lee")
    ms[2], _ = record_progress(s.project, ms[2], at(2026, 11, 25, 15), "Dana Lee", "40",
                               ["build log"], schedule=ms)
    charges = [MonthlyCharge("support", date(2026, 11, 30), "Support: 3 hours at 90.00",
                             Money("270.00", "USD"), Decimal(3))]
    intent = monthly_intent(s.project, ms, "2026-11", charges, date(2026, 11, 30))

    read = stored_and_read_back(intent)

    assert read == intent
    assert [line.seq for line in read.lines] == [2, 3, None]
    assert lc.intent_gross(read, 2) == Money("10000.00", "USD")
    assert lc.intent_gross(read, 3) == Money("6000.00", "USD")  # 40% of 15,000.00


def test_a_milestone_intent_reads_back_equal():
    s = acme()
    m, _ = lc.accept(s.project, s.milestones[1], at(2026, 11, 20, 15), "Dana Lee")
    intent = invoice_intent_for(s.project, s.milestones, m, date(2026, 11, 20))
    assert stored_and_read_back(intent) == intent
