"""An admin sets a connection's booking on its page; a code the books lack is named, not saved."""

from __future__ import annotations

from connector.web import create_app
from jobs.runner import run_job
from tests.jobs_harness import books_invoice, schedule_json

PASSWORD = "correct horse battery staple"


def _signed_in(stack):
    app = create_app(stack.settings, environ={"MILEPOST_ADMIN_PASSWORD": PASSWORD})
    client = app.test_client()
    client.get("/admin/login")
    client.post("/admin/login", data={"password": PASSWORD, "csrf": _csrf(client)})
    return client


def _csrf(client) -> str:
    with client.session_transaction() as session:
        return str(session["csrf"])


def test_the_settings_form_names_a_missing_code_and_saves_good_ones(stack) -> None:
    connection, realm = stack.connect_quickbooks()
    admin = _signed_in(stack)
    page = f"/admin/connections/{connection}/settings"

    refused = admin.post(page, data={"sales_item": "Gardening", "tax_code": "", "csrf": _csrf(admin)})
    saved = admin.post(page, data={"sales_item": "Design", "terms": "Net 15", "csrf": _csrf(admin)},
                       follow_redirects=True)
    stack.api("POST", "/schedules", {**schedule_json("ACME-WEB"), "connection": connection})
    stack.api("POST", "/projects/ACME-WEB/milestones/1/submit", {"by": "Sam", "evidence": ["requirements document"]})
    stack.api("POST", "/projects/ACME-WEB/milestones/1/accept", {"by": "Dana Lee"})
    run_job(stack.context(), "drain_outbox")

    assert refused.status_code == 400
    assert "sales item &#39;Gardening&#39;" in refused.get_data(as_text=True)
    assert saved.status_code == 200
    assert 'value="Design"' in saved.get_data(as_text=True)
    [invoice] = stack.invoices()
    books = books_invoice(stack.sandbox, realm, invoice.platform_id)
    assert books["Line"][0]["SalesItemLineDetail"]["ItemRef"]["name"] == "Design"
    assert books["SalesTermRef"]["name"] == "Net 15"


def test_the_settings_page_needs_a_signed_in_admin(stack) -> None:
    connection, _ = stack.connect_quickbooks()
    anonymous = create_app(stack.settings, environ={"MILEPOST_ADMIN_PASSWORD": PASSWORD}).test_client()

    answer = anonymous.get(f"/admin/connections/{connection}/settings")

    assert answer.status_code in (302, 303, 401)


def _select(page: str, name: str) -> list[str]:
    """The option values of the <select name=NAME> on the page ([] when it is not a select)."""
    import re

    found = re.search(rf'<select id="{re.escape(name)}" name="{re.escape(name)}">(.*?)</select>', page, re.S)
    return re.findall(r'<option value="([^"]*)"', found.group(1)) if found else []


def test_quickbooks_settings_are_picked_from_the_company_lists(stack) -> None:
    connection, _ = stack.connect_quickbooks()
    admin = _signed_in(stack)

    page = admin.get(f"/admin/connections/{connection}/settings").get_data(as_text=True)

    assert "Design" in _select(page, "sales_item")  # the company's own items...
    assert "Net 15" in _select(page, "terms")  # ...and terms, as pick-lists
    assert _select(page, "tax_code")
    assert '<select id="class_name"' in page
    assert 'name="sales_account"' not in page
    assert 'name="line_amount_types"' not in page


def test_xero_settings_offer_accounts_tracking_options_and_the_line_amount_type(stack) -> None:
    [(connection, _), *_] = stack.connect_xero()
    admin = _signed_in(stack)
    page = f"/admin/connections/{connection}/settings"

    text = admin.get(page).get_data(as_text=True)

    assert "200" in _select(text, "sales_account")
    assert _select(text, "tracking:Region") == ["", "North", "South", "Central"]
    assert _select(text, "line_amount_types") == ["Exclusive", "Inclusive", "NoTax"]
    assert "OUTPUT2" in _select(text, "tax_code")  # a Xero tax type is stored by TaxType

    refused = admin.post(page, data={"sales_account": "200", "line_amount_types": "Gross", "csrf": _csrf(admin)})
    assert refused.status_code == 400
    assert "line_amount_types: must be one of Exclusive, Inclusive, NoTax" in refused.get_data(as_text=True)

    saved = admin.post(page, data={"sales_account": "200", "line_amount_types": "Inclusive",
                                   "tracking:Region": "North", "csrf": _csrf(admin)}, follow_redirects=True)
    assert saved.status_code == 200
    text = saved.get_data(as_text=True)
    assert '<option value="Inclusive" selected>' in text
    assert '<option value="North" selected>' in text
