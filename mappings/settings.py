"""Mapping settings: which of the company's own items, accounts, tax codes and tracking to use.

A connection has defaults (one sales item or account for everything); a project may override
them; an invoice line may name its own item (`InvoiceLine.item_code`) and a line kind (retainage,
deposit credit, late fee) may have its own item. Resolution walks that order, line, kind,
project, connection, and checks every code against the company's own lists, returning every
missing code at once, each named, so an admin fixes the mapping in one pass.

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
        kind_items = data.pop("kind_items", None) or {}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown mapping settings: {', '.join(unknown)}")
        return cls(
            **{k: (None if v in ("", None) else str(v)) for k, v in data.items()},  # type: ignore[arg-type]
            tracking=tuple(sorted((str(k), str(v)) for k, v in dict(tracking).items())),  # type: ignore[call-overload]
            kind_items=tuple(sorted((str(k), str(v)) for k, v in dict(kind_items).items())),  # type: ignore[call-overload]
        )


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
    lists: CompanyLists = field(default_factory=CompanyLists, repr=False)

    def for_line(self, line: InvoiceLine) -> ResolvedLine:
        item = self.item
        kinds = dict(self.kind_items)
        if line.kind in kinds:
            item = kinds[line.kind]
        if line.item_code:
            item = find(self.lists.items, line.item_code) or Ref(line.item_code, line.item_code)
        return ResolvedLine(line=line, item=item, account=self.account, tax_code=self.tax_code)


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
    kind_items = tuple(
        (kind, ref)
        for kind, code in settings.kind_items
        if (ref := look("sales item", lists.items, code, f"{kind} lines")) is not None
    )
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
