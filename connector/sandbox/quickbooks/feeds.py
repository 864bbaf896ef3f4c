"""The read-heavy endpoints: query, change data capture and batch.

CDC returns what changed since a moment no more than 30 days back, at most 1000 objects,
deleted ones as ``{"Id", "status": "Deleted"}``; each entity answers in its own
``QueryResponse`` element with exactly one entity key, which is what python-quickbooks parses.
A batch runs up to 30 operations one after the other, each answering or failing alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .books import Company
from .errors import QBOError
from .operations import Change, delete, save
from .query import COMPANY_ZONE, parse, run
from .queryable import check_filterable
from .records import NAME_LISTS, entity_name
from .schema import check_request

CDC_DAYS = 30
CDC_MAX = 1000
BATCH_MAX = 30


def query_response(company: Company, text: str) -> dict:
    query = parse(text)
    entity = entity_name(query.entity)
    check_filterable(entity, query)
    rows = list(company.table(entity).values())
    page, total = run(query, rows, active_default=entity in NAME_LISTS)
    if query.count:
        return {"totalCount": total}
    if not page:
        return {}
    return {entity: page, "startPosition": query.start, "maxResults": len(page)}


def parse_since(text: str | None, now: datetime) -> datetime:
    if not text:
        raise QBOError(2020, "Required param missing, need to supply the required value for the API",
                       "Required parameter changedSince is missing in the request")
    try:
        since = datetime.fromisoformat(text.strip().replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        raise QBOError(4000, "Error parsing query",
                       f"Invalid changedSince value {text!r}: expected an ISO 8601 time") from None
    if since.tzinfo is None:
        since = since.replace(tzinfo=COMPANY_ZONE)
    if since < now - timedelta(days=CDC_DAYS):
        raise QBOError(4000, "Invalid changedSince",
                       f"changedSince must be within the last {CDC_DAYS} days")
    return since


def cdc_response(company: Company, entities: str, since: datetime) -> list[dict]:
    names = [entity_name(name.strip()) for name in entities.split(",") if name.strip()]
    if not names:
        raise QBOError(2020, "Required param missing, need to supply the required value for the API",
                       "Required parameter entities is missing in the request")
    found: list[tuple[float, str, dict]] = []
    cutoff = since.timestamp()
    for entity in names:
        for entity_id, stamp in company.changed_at.get(entity, {}).items():
            if stamp < cutoff:
                continue
            obj = company.get(entity, entity_id) or company.deleted.get(entity, {}).get(entity_id)
            if obj is not None:
                found.append((stamp, entity, obj))
    found.sort(key=lambda row: row[0])
    found = found[:CDC_MAX]
    answers = []
    for entity in names:
        rows = [obj for _, name, obj in found if name == entity]
        element: dict[str, Any] = {"startPosition": 1, "maxResults": len(rows)}
        if rows:
            element = {entity: rows, **element}
        answers.append(element)
    return [{"QueryResponse": answers}]


def batch_response(company: Company, items: list[dict], now: datetime,
                   changes: list[Change]) -> list[dict]:
    if len(items) > BATCH_MAX:
        raise QBOError(4000, "Batch request limit exceeded",
                       f"The batch request contains {len(items)} items; the limit is {BATCH_MAX}")
    answers = []
    for item in items:
        bid = item.get("bId")
        try:
            answers.append({"bId": bid, **_batch_item(company, item, now, changes)})
        except QBOError as error:
            answers.append({"bId": bid, "Fault": error.fault()})
    return answers


def _batch_item(company: Company, item: dict, now: datetime, changes: list[Change]) -> dict:
    if "Query" in item:
        return {"QueryResponse": query_response(company, item["Query"])}
    operation = str(item.get("operation", "")).lower()
    keys = [k for k in item if k not in ("bId", "operation", "optionsData")]
    if len(keys) != 1:
        raise QBOError(2010, "Request has invalid or unsupported property",
                       "A batch item needs exactly one entity")
    entity = entity_name(keys[0])
    check_request(entity, item[keys[0]])
    if operation in ("create", "update"):
        obj, made = save(company, entity, item[keys[0]], now)
    elif operation == "delete":
        obj, made = delete(company, entity, item[keys[0]], now)
    else:
        raise QBOError(4000, "Unsupported Operation", f"Operation {operation} is not supported")
    changes.extend(made)
    return {entity: obj}
