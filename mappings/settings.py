"""Mapping settings: which of the company's own items, accounts, tax codes and tracking to use.

A connection has defaults (one sales item or account for everything); a project may override
them; an invoice line may name its own item (`InvoiceLine.item_code`) and each line kind
(`LINE_KINDS`: milestone, deposit, deposit credit, retainage held and released, late fee,
pass-through, support) may have its own item, account and tax code, so retainage can post to a
liability account and a late fee carry no tax. Resolution walks that order, line, kind,
project, connection, and checks every code against the company's own lists, returning every
missing code at once, each named, so an admin fixes the mapping in one pass. A late fee with no
tax code of its own takes the company's no-tax code where it has one (QuickBooks "NON", Xero
"NONE"): a late fee is not a taxable supply.

Codes are matched on the platform's id or, case-insensitively, on its name/code, because admins
type names ("Consulting") and the books answer ids ("7").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

from connector.billing.model import InvoiceLine


@dataclass(frozen=True)
class MappingSettings:
    """What to book invoice lines against. None means "inherit from the level above"."""

    sales_item: str | None = None  # QuickBooks Item (name or id); Xero item code (optional)
    sales_account: str | None = None  # Xero account code such as "200"
    tax_code: str | None = None  # QuickBooks TaxCode (name or id); Xero TaxType such as "OUTPUT"
    class_name: str | None = None  # QuickBooks Class
    terms: str | None = None  # QuickBooks Term name, such as "Net 30"
    tracking: tuple[tuple[str, str], ...] = ()  # Xero (category, option) pairs
    kind_items: tuple[tuple[str, str], ...] = ()  # line kind -> item, e.g. ("retainage", "Retainage")
    kind_accounts: tuple[tuple[str, str], ...] = ()  # line kind -> account code (Xero)
    kind_tax_codes: tuple[tuple[str, str], ...] = ()  # line kind -> tax code / TaxType
    line_amount_types: str = "Exclusive"  # Xero: Exclusive | Inclusive | NoTax

    def over(self, base: MappingSettings) -> MappingSettings:
        """These settings with every unset value taken from `base` (project over connection)."""
        changes = {}
        for f in fields(self):
            mine = getattr(self, f.name)
            if mine is None or mine == ():
                changes[f.name] = getattr(base, f.name)
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> MappingSettings:
        """From stored JSON/TOML: {"sales_item": "Services", "tracking": {"Region": "North"}}."""
        data = dict(data or {})
        tracking = data.pop("tracking", None) or {}
        per_kind = {name: _per_kind(name, data.pop(name, None) or {}) for name in _PER_KIND}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown mapping settings: {', '.join(unknown)}")
        if data.get("line_amount_types") not in (None, "", *LINE_AMOUNT_TYPES):
            raise ValueError(f"line_amount_types: must be {', '.join(LINE_AMOUNT_TYPES[:-1])} or "
                             f"{LINE_AMOUNT_TYPES[-1]}, got {data['line_amount_types']!r}")
        return cls(
            **{k: (None if v in ("", None) else str(v)) for k, v in data.items()},  # type: ignore[arg-type]
            tracking=tuple(sorted((str(k), str(v)) for k, v in dict(tracking).items())),  # type: ignore[call-overload]
            **per_kind,  # type: ignore[arg-type]
        )


LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")  # Xero: how line amounts treat tax
LINE_KINDS = ("milestone", "progress", "deposit", "deposit_credit", "retainage", "retainage_release",
              "late_fee", "pass_through", "support")
_PER_KIND = ("kind_items", "kind_accounts", "kind_tax_codes")


def _per_kind(name: str, table: object) -> tuple[tuple[str, str], ...]:
    """A `kind -> code` table; a kind Milepost never bills is a mistake worth naming."""
    pairs = tuple(sorted((str(k), str(v)) for k, v in dict(table).items()))  # type: ignore[call-overload]
    wrong = sorted(k for k, _ in pairs if k not in LINE_KINDS)
    if wrong:
        raise ValueError(f"unknown line kind(s) in {name}: {', '.join(wrong)} "
                         f"(line kinds: {', '.join(LINE_KINDS)})")
    return pairs


@dataclass(frozen=True)
class Ref:
    """A platform object as an invoice refers to it: its id and the name people see."""

    id: str
    name: str
    how: str = field(default="", compare=False)  # how a customer was found: for the sync log


@dataclass(frozen=True)
class CompanyLists:
    """The company's own lists, as read from the books (active entries only)."""

    items: tuple[Ref, ...] = ()
    accounts: tuple[Ref, ...] = ()  # Xero: id = AccountID, name = Code
    tax_codes: tuple[Ref, ...] = ()
    classes: tuple[Ref, ...] = ()
    terms: tuple[Ref, ...] = ()
    tracking: tuple[tuple[str, tuple[str, ...]], ...] = ()  # category -> options
    home_currency: str = ""  # QuickBooks' home currency ("" when not read)
    currencies: tuple[str, ...] = ()  # the currencies it can bill in; () = only the home one
    multicurrency: bool = False  # QuickBooks: multicurrency is on


def currency_problem(lists: CompanyLists, currency: str, books: str) -> str | None:
    """Why a company cannot bill in `currency`, naming both currencies; None when it can.

    QuickBooks bills in its home currency, or in any other once multicurrency is on (the
    customer must then be kept in that currency). Xero bills in the currencies enabled in the
    organisation (its base currency among them)."""
    if currency == lists.home_currency or currency in lists.currencies:
        return None
    if lists.multicurrency or not (lists.home_currency or lists.currencies):
        return None
    if lists.currencies:
        have = ", ".join(sorted(lists.currencies))
        return (f"the project bills in {currency}, but {books} has only {have} enabled: "
                f"add {currency} in its currency settings, or bill the project in {have}")
    return (f"the project bills in {currency}, but {books} keeps its books in {lists.home_currency} "
            f"with multicurrency off: turn multicurrency on, or bill the project in {lists.home_currency}")


@dataclass(frozen=True)
class SettingsProblem:
    """One code that the company's lists do not have."""

    field: str
    code: str
    where: str  # "connection/project settings" or "line 2 (Design phase)"

    def __str__(self) -> str:
        return f"{self.field} {self.code!r} ({self.where}) does not exist in the company's books"


class MappingError(ValueError):
    """The settings name codes the company does not have; `problems` lists every one."""

    def __init__(self, problems: Sequence[SettingsProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class ResolvedLine:
    line: InvoiceLine
    item: Ref | None
    account: Ref | None
    tax_code: Ref | None


@dataclass(frozen=True)
class ResolvedSettings:
    """Settings checked against the books, with every code turned into the platform's ref."""

    settings: MappingSettings
    item: Ref | None = None
    account: Ref | None = None
    tax_code: Ref | None = None
    class_ref: Ref | None = None
    terms: Ref | None = None
    tracking: tuple[tuple[str, str], ...] = ()
    kind_items: tuple[tuple[str, Ref], ...] = ()
    kind_accounts: tuple[tuple[str, Ref], ...] = ()
    kind_tax_codes: tuple[tuple[str, Ref], ...] = ()
    lists: CompanyLists = field(default_factory=CompanyLists, repr=False)

    def for_line(self, line: InvoiceLine) -> ResolvedLine:
        item = dict(self.kind_items).get(line.kind, self.item)
        if line.item_code:
            item = find(self.lists.items, line.item_code) or Ref(line.item_code, line.item_code)
        tax_code = dict(self.kind_tax_codes).get(line.kind)
        if tax_code is None and line.kind == "late_fee":
            tax_code = no_tax_code(self.lists)
        return ResolvedLine(line=line, item=item, account=dict(self.kind_accounts).get(line.kind, self.account),
                            tax_code=tax_code or self.tax_code)


def no_tax_code(lists: CompanyLists) -> Ref | None:
    """The company's no-tax code, where it has one: QuickBooks "NON", Xero TaxType "NONE"."""
    return find(lists.tax_codes, "NON") or find(lists.tax_codes, "NONE")


def find(refs: Iterable[Ref], code: str) -> Ref | None:
    """The ref whose id equals `code` or whose name matches it ignoring case."""
    wanted = code.strip().casefold()
    for ref in refs:
        if ref.id == code or ref.name.casefold() == wanted:
            return ref
    return None


def resolve_settings(
    settings: MappingSettings,
    lists: CompanyLists,
    lines: Sequence[InvoiceLine] = (),
    *,
    require_item: bool = False,
    require_account: bool = False,
) -> ResolvedSettings:
    """Check every code against `lists`; raise MappingError naming all the missing ones.

    QuickBooks needs an item on every line (`require_item`); Xero needs an account code to
    approve an invoice (`require_account`), so each gateway says what it cannot do without.
    """
    problems: list[SettingsProblem] = []
    where = "mapping settings"

    def look(field_name: str, refs: tuple[Ref, ...], code: str | None, place: str = where) -> Ref | None:
        if code is None:
            return None
        ref = find(refs, code)
        if ref is None:
            problems.append(SettingsProblem(field_name, code, place))
        return ref

    item = look("sales item", lists.items, settings.sales_item)
    def per_kind(field_name: str, refs: tuple[Ref, ...], table: tuple[tuple[str, str], ...]) -> tuple[tuple[str, Ref], ...]:
        return tuple((kind, ref) for kind, code in table
                     if (ref := look(field_name, refs, code, f"{kind} lines")) is not None)

    kind_items = per_kind("sales item", lists.items, settings.kind_items)
    kind_accounts = per_kind("sales account", lists.accounts, settings.kind_accounts)
    kind_tax_codes = per_kind("tax code", lists.tax_codes, settings.kind_tax_codes)
    for number, line in enumerate(lines, start=1):
        if line.item_code:
            look("sales item", lists.items, line.item_code, f"line {number} ({line.description})")
        elif require_item and settings.sales_item is None and line.kind not in dict(settings.kind_items):
            problems.append(SettingsProblem("sales item", "(none set)", f"line {number} ({line.description})"))
    if require_account and settings.sales_account is None:
        problems.append(SettingsProblem("sales account", "(none set)", where))
    resolved = ResolvedSettings(
        settings=settings,
        item=item,
        account=look("sales account", lists.accounts, settings.sales_account),
        tax_code=look("tax code", lists.tax_codes, settings.tax_code),
        class_ref=look("class", lists.classes, settings.class_name),
        terms=look("terms", lists.terms, settings.terms),
        tracking=_check_tracking(settings, lists, problems),
        kind_items=kind_items,
        kind_accounts=kind_accounts,
        kind_tax_codes=kind_tax_codes,
        lists=lists,
    )
    if problems:
        raise MappingError(problems)
    return resolved


def _check_tracking(
    settings: MappingSettings, lists: CompanyLists, problems: list[SettingsProblem]
) -> tuple[tuple[str, str], ...]:
    categories = {name.casefold(): (name, options) for name, options in lists.tracking}
    checked = []
    for category, option in settings.tracking:
        known = categories.get(category.casefold())
        if known is None:
            problems.append(SettingsProblem("tracking category", category, "mapping settings"))
            continue
        match = next((o for o in known[1] if o.casefold() == option.casefold()), None)
        if match is None:
            problems.append(SettingsProblem(f"tracking option of {known[0]}", option, "mapping settings"))
        else:
            checked.append((known[0], match))
    return tuple(checked)
