"""Sale sequences kept as plain tests: each one a sequence the property test once found (or a path it
must keep covering), written out step by step. Steps are the machine's own rules, run in the same
world, with the books checked after each; `Draws` stands in for Hypothesis's choices.

To keep a failing sequence from the soak, copy the steps Hypothesis printed and give each `data`
argument a `Draws(...)` naming what was chosen (an order by id, `Nth(i)` for the i-th candidate).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.property.machine import SaleMachine
from tests.property.model import ModelOrder
from tests.property.world import world


@dataclass(frozen=True)
class Nth:
    index: int


class Draws:
    """What a rule's `data.draw(...)` calls return, by label: a value, an order id, or `Nth(i)`."""

    def __init__(self, **chosen: Any) -> None:
        self.chosen = chosen

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        if label == "fitting" and label not in self.chosen:
            return 0  # choose among every order (the named one below)
        value = self.chosen[label or ""]
        elements = list(getattr(strategy, "elements", ()) or ())
        if isinstance(value, Nth):
            return elements[value.index]
        if elements and isinstance(elements[0], ModelOrder):
            return next(o for o in elements if o.id == value)
        return value


class Steps:
    """A machine in a fresh shop; `step(rule, **arguments)` runs one rule, then checks the books."""

    def __init__(self, machine: SaleMachine) -> None:
        self.machine = machine

    def step(self, rule: str, **arguments: Any) -> None:
        getattr(self.machine, rule)(**arguments)
        self.machine.books_agree()


@pytest.fixture
def sequence(sale_sandbox: Any, tmp_path: Path, no_waiting: None) -> Iterator[Any]:
    with world("sqlite", sale_sandbox, tmp_path) as here:
        SaleMachine.world = here

        def start(policy: str = "refund") -> Steps:
            machine = SaleMachine()
            machine.open_shop(policy)
            machine.books_agree()
            return Steps(machine)

        yield start


@pytest.mark.parametrize("policy", ["refund", "reserve_again"])
def test_paid_at_wechat_then_cancelled_then_notified_twice(sequence: Any, policy: str) -> None:
    """The payer pays while staff cancel: the cancel's close finds the order paid, the money is
    settled as a late payment (refunded, or taking the order back), and WeChat's two notifications
    arriving after change nothing more."""
    s = sequence(policy)
    s.step("check_out_cart", member=0, drawn={0: 1}, pay_with="wechat", points_quarters=0)
    s.step("payer_pays")
    s.step("cancel", data=Draws(order=1), by_staff=True)
    s.step("wechat_misbehaves", data=Draws(out_trade_no=Nth(0)), fault="duplicate")
    s.step("everything_settles")
    order = s.machine.m.orders[1]
    assert (order.status, order.paid) == (("cancelled", 0) if policy == "refund" else ("paid", 1130))


def test_a_top_up_whose_notification_is_lost_is_still_credited(sequence: Any) -> None:
    """Found by the soak (seed 777, 40 steps): WeChat took a stored-value top-up whose notification
    was lost, and nothing ever asked WeChat about it, so the member never got the money."""
    s = sequence()
    s.step("start_top_up", member=0, amount=500)
    s.step("payer_pays")
    s.step("wechat_misbehaves", data=Draws(out_trade_no=Nth(0)), fault="lose")
    s.step("everything_settles")
    assert s.machine.m.stored_value[s.machine.shop.members[0][0]] == 500
