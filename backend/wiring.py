"""What yecai is made of: every module that registers something when imported (peewee models, outbox
job handlers with `@job`, invariant checks with `@invariant`) and every periodic job, imported here
by name.

This is the composition root's list (top layer in pyproject.toml's import contracts). It is written as
imports, never as "module:function" strings, so that lint-imports sees each of these dependencies and
an outbox job name can only be looked up once the module defining its handler is imported. The web
app, the CLI (worker, check, demo) and the migration drift check start from here; nothing below does.
"""

from __future__ import annotations

import peewee

from backend import audit, idempotency, platform_checks, runtime
from backend.approvals import checks as approvals_checks
from backend.approvals import models as approvals_models
from backend.auth import models as auth_models
from backend.config import Settings
from backend.dashboard import checks as dashboard_checks
from backend.dashboard import models as dashboard_models
from backend.dashboard import rollup as dashboard_rollup
from backend.db import BaseModel
from backend.inventory import checks as inventory_checks
from backend.inventory import models as inventory_models
from backend.jobs import dispatch
from backend.jobs import models as jobs_models
from backend.jobs.schedule import Periodic
from backend.kernel import models as kernel_models
from backend.ledger import checks as ledger_checks
from backend.ledger import models as ledger_models
from backend.printing import jobs as printing_jobs
from backend.printing import models as printing_models
from backend.receivables import adjustments as receivables_adjustments
from backend.receivables import checks as receivables_checks
from backend.receivables import models as receivables_models
from backend.receivables import statement_models, statements
from backend.receivables.credit import allowances as credit_allowances
from backend.receivables.credit import checks as credit_checks
from backend.receivables.credit import digest as credit_digest
from backend.receivables.credit import dunning as credit_dunning
from backend.receivables.credit import interest as credit_interest
from backend.receivables.credit import jobs as credit_jobs
from backend.receivables.credit import models as credit_models
from backend.receivables.credit import profiles as credit_profiles
from backend.receivables.credit import scoring as credit_scoring
from backend.receivables.credit import writeoffs as credit_writeoffs
from payments import auto_cancel, reconciliation, shift_checks, shift_models
from payments import checks as payments_checks
from payments import jobs as payments_jobs
from payments import models as payments_models
from store import checks as store_checks
from store import credit_orders, fulfilment, members, notify, shop_models
from store import jobs as store_jobs
from store.distribution import campaigns as distribution_campaigns
from store.distribution import checks as distribution_checks
from store.distribution import models as distribution_models
from store.distribution import rebates as distribution_rebates
from store.fapiao import checks as fapiao_checks
from store.fapiao import models as fapiao_models
from store.fapiao import services as fapiao_services

# Imported for what importing them registers: their models, outbox job handlers and invariant checks.
REGISTERING_MODULES = (
    auth_models,
    audit,
    idempotency,
    jobs_models,
    platform_checks,
    # The sale spine: the shared kernel (catalog, customers, orders), stock, journal, receivables.
    kernel_models,
    inventory_models,
    ledger_models,
    receivables_models,
    ledger_checks,
    inventory_checks,
    receivables_checks,
    receivables_adjustments,
    store_jobs,
    # Payments: records against WeChat, notifications, refunds, reconciliation.
    payments_models,
    payments_jobs,
    payments_checks,
    # The mini-program shop: members, points, stored value, carts, checkout, shipping, after-sales.
    shop_models,
    store_checks,
    notify,
    # Selling to distributors: grades, price lists, trade terms, favourites.
    distribution_models,
    distribution_checks,
    distribution_campaigns,
    # Fapiao: requests, the issuing job (after commit, through the provider), and their checks.
    fapiao_models,
    fapiao_services,
    fapiao_checks,
    # Approvals the owner decides, and credit control (profiles, the credit check).
    approvals_models,
    approvals_checks,
    credit_models,
    credit_profiles,
    credit_allowances,
    credit_orders,
    # The owner's dashboard: per-day roll-ups of closed business days, checked against the journal.
    dashboard_models,
    dashboard_checks,
    # The counter: shift handovers, and receipts and delivery notes for its printer.
    shift_models,
    shift_checks,
    printing_models,
    printing_jobs,
    credit_checks,
    credit_dunning,
    credit_digest,
    credit_interest,
    credit_scoring,
    credit_writeoffs,
    # Period statements the customer confirms or disputes (对账), and their messages.
    statement_models,
    statements,
)

# Every periodic job, declared here and nowhere else (how they run: backend/jobs/schedule.py).
PERIODIC: tuple[Periodic, ...] = (
    # Deliver outbox rows whose after-commit hand-over was lost, and retry failed ones.
    Periodic("outbox.relay", 15, dispatch.relay_due),
    # Query WeChat for payments whose notification never came and refunds still processing.
    Periodic("payments.settle_pending", 60, payments_jobs.settle_pending),
    # Reconcile yesterday's WeChat trade bill once it is published (a no-op once done).
    Periodic("payments.reconcile", 3600, reconciliation.reconcile_yesterday),
    # Cancel orders of every channel left unpaid past their channel's time (stock released, WeChat closed).
    Periodic("store.auto_cancel", 60, auto_cancel.cancel_unpaid),
    # Orders shipped N days ago and never confirmed by the customer are received.
    Periodic("store.auto_receive", 3600, fulfilment.auto_receive),
    # Points of members inactive for a year expire.
    Periodic("store.points_expiry", 86400, members.expire_points),
    # Sum each business day into the dashboard's roll-up once it has closed (a no-op until then).
    Periodic("dashboard.roll_up", 600, dashboard_rollup.roll_up_closed_days),
    # Credit's night, once per business day from 01:00: promises, late interest on the 1st, dunning,
    # scores and limit proposals, bad-debt warnings, the owner's digest.
    Periodic("credit.nightly", 900, credit_jobs.nightly),
    # Last month's statements from 02:00 on the 1st (caught up later if missed), sent; reminders of
    # statements left unconfirmed.
    Periodic("statements.monthly", 3600, statements.periodic),
    # Distributors' rebates for the month that ended, once (a no-op once it has run).
    Periodic("distribution.rebates", 3600, distribution_rebates.run_due),
)


def configure(settings: Settings) -> peewee.Database:
    """Bind the database and the job runner for this process, with every module above registered."""
    return runtime.configure(settings)


def all_models() -> list[type[BaseModel]]:
    """Every model of the app (the migration drift check compares them with the migrated schema)."""
    seen: list[type[BaseModel]] = []
    stack = list(BaseModel.__subclasses__())
    while stack:
        model = stack.pop(0)
        if model not in seen and not model.__module__.startswith("playhouse"):
            seen.append(model)
        stack.extend(model.__subclasses__())
    return seen


def run_periodic(name: str) -> None:
    """Run one periodic job now, in this process, by its name."""
    for periodic in PERIODIC:
        if periodic.name == name:
            periodic.target()
            return
    raise LookupError(f"no periodic job named {name!r}")
