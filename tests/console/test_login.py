"""Logging in to the phone console, and being sent to log in when there is no session."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect


def test_staff_log_in_and_see_their_home(
    page: Any, make_user: Any, console_login: Any, screenshot: Any
) -> None:
    staff = make_user("staff", display_name="小王")

    page.goto("/m/")
    # No session: the login page, remembering where the user was going.
    page.wait_for_url(re.compile(r"/m/login\?next=%2Fm%2F$"))
    expect(page.get_by_text("登录已过期，请重新登录")).to_be_hidden()  # there was no session to expire

    page.get_by_placeholder("用户名或手机号 Username or phone").fill(staff.username)
    page.get_by_placeholder("密码 Password").fill("wrong password")
    page.get_by_role("button", name="登录 Log in").click()
    expect(page.locator(".yc-login-error")).to_contain_text("Wrong")
    screenshot("login")

    console_login(staff)
    expect(page.get_by_text("小王")).to_be_visible()
    expect(page.get_by_text("店员 Staff")).to_be_visible()
    token = page.evaluate("localStorage.getItem('yc.token')")
    assert token and len(token) > 20
