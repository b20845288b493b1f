"""An expired session goes back to the login page; a page not for the user's role is refused."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from playwright.sync_api import expect

from backend import clock


# Passes alone, in its file and with the whole suite collected, but twice timed out waiting for the
# login page when it was the first test of a fresh `.ci/run`; kept running (not strict) until the cause
# is found. A phone-side expiry is covered by the next test either way.
def test_an_expired_session_goes_back_to_login_and_then_to_the_page(
    page: Any, make_user: Any, console_login: Any
) -> None:
    staff = make_user("staff", display_name="小王")
    console_login(staff)
    # The server ends the session (a week later) while the phone still holds the token.
    clock.travel_to(clock.now() + dt.timedelta(days=8))
    page.goto("/m/staff/shift")
    page.wait_for_url(re.compile(r"/m/login\?next=%2Fm%2Fstaff%2Fshift&expired=1$"))
    expect(page.get_by_text("登录已过期，请重新登录")).to_be_visible()
    assert page.evaluate("localStorage.getItem('yc.token')") is None

    console_login.fill_and_submit(staff)
    page.wait_for_url(re.compile(r"/m/staff/shift$"))
    expect(page.locator(".yc-shift")).to_contain_text("本班还没有收款 No takings yet")


def test_a_token_past_its_expiry_on_the_phone_is_not_sent(
    page: Any, make_user: Any, console_login: Any
) -> None:
    console_login(make_user("staff"))
    page.evaluate("localStorage.setItem('yc.expires_at', '2000-01-01T00:00:00+08:00')")
    page.goto("/m/staff/bill")
    page.wait_for_url(re.compile(r"/m/login\?next=%2Fm%2Fstaff%2Fbill&expired=1$"))


def test_staff_opening_an_owner_page_are_refused(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    console_login(make_user("staff", display_name="小王"))
    expect(page.get_by_text("交班记录 Handovers")).to_have_count(0)  # not on a staff member's menu
    page.goto("/m/owner/shifts")
    refusal = page.locator("#yc-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("无权限 Not allowed")
    expect(refusal).to_contain_text("小王")
    expect(page.locator("#app")).to_be_hidden()
    screenshot("refusal")


def test_an_api_refusal_on_a_page_is_shown_as_such(page: Any, make_user: Any, console_login: Any) -> None:
    distributor = make_user("distributor", display_name="城南批发")
    console_login(distributor)
    # A distributor's home has no staff pages; forcing the staff page's API gets the API's 403.
    page.goto("/m/")
    page.evaluate("yc.get('/api/counter/shift').catch(function () {})")
    expect(page.locator("#yc-refusal")).to_contain_text("没有权限执行此操作")


def test_owner_sees_handovers(page: Any, make_user: Any, console_login: Any) -> None:
    console_login(make_user("owner", display_name="老板"))
    expect(page.get_by_text("交班记录 Handovers")).to_be_visible()
    page.get_by_text("交班记录 Handovers").click()
    page.wait_for_url(re.compile(r"/m/owner/shifts$"))
    expect(page.get_by_text("没有更多了 No more")).to_be_visible()
