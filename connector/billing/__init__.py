"""The billing domain, pure: no Flask, SQLAlchemy, HTTP or file I/O.

money        Money, D, allocate (largest remainder), minor units from ISO 4217
model        the frozen records (Project, Milestone, AuditEvent, InvoiceIntent, ...)
errors       BillingError and its family; ValidationProblem values
calendar     business days, approval deadlines (holidays package, project time zone)
allocation   what each milestone is worth; invoiced amounts are locked
lifecycle    the transition table and one pure function per step
change_orders apply a change order all or nothing
intents      invoice intents with the seed wording, deposit, retainage, idempotency keys
progress     percent-complete steps and monthly invoices
late_fees    late fees per started month, pause-work
validation   every problem in a schedule, by field and rule
schedule     TOML / JSON / CSV schedule files, and writing TOML back
templates    three-phase, five-phase and inspection schedules
report       the project report (JSON fields and schedule-of-values columns)
"""
