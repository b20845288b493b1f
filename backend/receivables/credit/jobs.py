"""The nightly credit run, in order: promises kept or broken, late interest (on the 1st, for the month
just ended), dunning steps, scores and limit proposals, bad-debt warnings, the owner's digest.

Each part is safe to run twice; the whole run is declared as a periodic job in backend/wiring.py and
does its work once per business day (the digest row marks the day as done).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from backend import clock
from backend.receivables.credit import collection_list, digest, dunning, interest, scoring, warning_rules
from backend.receivables.credit.models import CreditDigest

log = logging.getLogger("yecai.credit")


def run_day(today: dt.date) -> dict[str, Any]:
    """Everything the night of `today` does (the simulation and the benchmark call this directly)."""
    done: dict[str, Any] = {"promises": collection_list.resolve_promises(today)}
    if today.day == 1:
        month_end = today - dt.timedelta(days=1)
        done["interest"] = interest.post_interest(month_end, since=month_end.replace(day=1))
    done["dunning"] = dunning.plan(today)
    done["scoring"] = scoring.score_all(today)
    done["warnings"] = warning_rules.evaluate(today)
    done["digest"] = digest.write(today).id
    return done


def nightly() -> None:
    """Periodic: once per business day, from 01:00 in the merchant's zone."""
    now = clock.local(clock.now())
    today = now.date()
    if now.hour < 1 or CreditDigest.select().where(CreditDigest.day == today).exists():
        return
    log.info("credit nightly run for %s: %s", today, run_day(today))
