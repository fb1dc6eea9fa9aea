#!/usr/bin/env python3
"""Browser test of /dashboard (统计看板) against a running service, in headless Chromium.

Signs in through the HTML form, loads the page, finds both SVG charts and the department table,
and checks that every number it reads equals GET /v1/reports/sla (group_by=department and
group_by=month) for the same period and as_of, fetched with a bearer token from the JSON sign-in.
Then signs out. Needs Debian's chromium and chromium-driver and Selenium (pinned in
Tests/browser/requirements.txt); deploy/test.sh runs it when the whole suite runs.

  python3 Tests/browser/dashboard_test.py --base-url http://127.0.0.1:8080 \
      --username li.na --password '…' [--from 2020-01-01 --to 2020-03-31] [--screenshot docs/dashboard.png]
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

# Table cell class → report API field.
COLUMNS = {
    "received": "received",
    "closed": "closed",
    "on-time-rate": "on_time_rate",
    "overdue-open": "overdue_open",
    "avg-days": "avg_handling_working_days",
    "satisfaction-rate": "satisfaction_rate",
}
# Chart id → report API field of the month groups.
CHARTS = {"chart-within1": "within_1_working_day_rate", "chart-avg-days": "avg_handling_working_days"}

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, file=sys.stderr)


def tenths(x):
    """The service's rounding: half away from zero, at most one decimal, '.0' dropped."""
    n = int(abs(x) + 0.5) * (1 if x >= 0 else -1)
    whole, digit = divmod(abs(n), 10)
    return ("-" if n < 0 else "") + (str(whole) if digit == 0 else f"{whole}.{digit}")


def percent_text(rate):
    return "—" if rate is None else tenths(rate * 1000) + "%"


def days_text(value):
    if value is None:
        return "—"
    t = tenths(value * 10)
    return t if "." in t else t + ".0"


def same_number(cell, expected):
    """A data-value against a JSON number: '' for null, else the same double."""
    if expected is None:
        return cell == ""
    try:
        return float(cell) == float(expected)
    except ValueError:
        return False


def http_json(url, body=None, token=None):
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=30) as r:
        return json.loads(r.read())


def wait_ready(base, seconds):
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.time() > deadline:
            raise SystemExit(f"{base}/readyz did not answer 200 within {seconds} s")
        time.sleep(0.5)


def browser(args):
    options = webdriver.ChromeOptions()
    options.binary_location = args.chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN",
              "--window-size=1400,1000", "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(a)
    return webdriver.Chrome(service=Service(executable_path=args.chromedriver), options=options)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base-url", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--from", dest="from_", help="first receipt date (default: the page's 12 months)")
    p.add_argument("--to")
    p.add_argument("--screenshot", help="save a PNG of the whole page here")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    p.add_argument("--wait", type=float, default=60, help="seconds to wait for /readyz")
    args = p.parse_args()
    base = args.base_url.rstrip("/")
    wait_ready(base, args.wait)

    driver = browser(args)
    try:
        wait = WebDriverWait(driver, 20)
        # Not signed in: the page sends us to the form.
        driver.get(base + "/dashboard")
        check(urllib.parse.urlparse(driver.current_url).path == "/dashboard/login",
              f"/dashboard without a session should redirect to /dashboard/login, got {driver.current_url}")
        form = driver.find_element(By.ID, "login-form")
        check(form.find_element(By.NAME, "csrf_token").get_attribute("value") != "", "the sign-in form carries a CSRF token")
        driver.find_element(By.ID, "username").send_keys(args.username)
        driver.find_element(By.ID, "password").send_keys(args.password)
        driver.find_element(By.ID, "login-submit").click()
        wait.until(EC.presence_of_element_located((By.ID, "dashboard")))
        cookie = driver.get_cookie("mailbox_session")
        check(cookie is not None and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict",
              f"session cookie should be HttpOnly and SameSite=Strict: {cookie}")
        if args.from_ or args.to:
            query = urllib.parse.urlencode({"from": args.from_, "to": args.to})
            driver.get(base + "/dashboard?" + query)
            wait.until(EC.presence_of_element_located((By.ID, "dashboard")))

        main_el = driver.find_element(By.ID, "dashboard")
        period = {k: main_el.get_attribute("data-" + k) for k in ("from", "to", "as-of")}
        print("dashboard period:", period)

        # The same report through the JSON API, with a bearer token from the JSON sign-in.
        token = http_json(base + "/v1/auth/login", {"username": args.username, "password": args.password})["token"]

        def report(group_by):
            q = urllib.parse.urlencode({"from": period["from"], "to": period["to"], "as_of": period["as-of"], "group_by": group_by})
            return http_json(base + "/v1/reports/sla?" + q, token=token)

        by_department = report("department")
        by_month = report("month")

        # The department table: every group of the API is a row with the same figures, and nothing else.
        table = driver.find_element(By.ID, "department-table")
        check(table.is_displayed(), "the department table is visible")
        rows = {r.get_attribute("data-key"): r for r in table.find_elements(By.CSS_SELECTOR, "tbody tr.department")}
        api_groups = {g["key"]: g for g in by_department["groups"]}
        check(set(rows) == set(api_groups), f"department rows {sorted(rows)} != API groups {sorted(api_groups)}")

        def compare_row(row, figures, what):
            for cls, key in COLUMNS.items():
                cell = row.find_element(By.CSS_SELECTOR, "td." + cls)
                value = cell.get_attribute("data-value")
                check(same_number(value, figures[key]), f"{what} {cls}: page {value!r} vs API {figures[key]!r}")
                text = cell.text.strip()
                if cls in ("received", "closed", "overdue-open"):
                    expected_text = str(figures[key])
                elif cls == "avg-days":
                    expected_text = days_text(figures[key])
                else:
                    expected_text = percent_text(figures[key])
                check(text == expected_text, f"{what} {cls}: shown {text!r}, expected {expected_text!r}")

        for key, row in rows.items():
            if key in api_groups:
                compare_row(row, api_groups[key], f"department {key!r}")
        compare_row(table.find_element(By.CSS_SELECTOR, "tfoot tr.totals"), by_department["totals"], "totals")

        # The charts: one point per month that has the figure, carrying exactly the API's value.
        points_checked = 0
        for chart_id, key in CHARTS.items():
            svg = driver.find_element(By.ID, chart_id)
            check(svg.tag_name.lower() == "svg" and svg.is_displayed(), f"{chart_id} is a visible <svg>")
            points = {c.get_attribute("data-label"): c.get_attribute("data-value")
                      for c in svg.find_elements(By.CSS_SELECTOR, "circle.point")}
            expected = {g["key"]: g[key] for g in by_month["groups"] if g[key] is not None}
            check(set(points) == set(expected), f"{chart_id}: points {sorted(points)} != months with a figure {sorted(expected)}")
            for month, value in expected.items():
                if month in points:
                    check(same_number(points[month], value), f"{chart_id} {month}: page {points[month]!r} vs API {value!r}")
                    points_checked += 1

        for list_id in ("overdue-list-count", "due-soon-list-count"):
            check(driver.find_element(By.ID, list_id).is_displayed(), f"{list_id} is shown")

        if args.screenshot:
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1400, min(max(height + 40, 800), 4000))
            time.sleep(0.3)
            driver.save_screenshot(args.screenshot)
            print("screenshot:", args.screenshot)

        # Sign out: the session ends, the page sends us to the form again.
        driver.find_element(By.ID, "logout").click()
        wait.until(EC.presence_of_element_located((By.ID, "login-form")))
        driver.get(base + "/dashboard")
        check(urllib.parse.urlparse(driver.current_url).path == "/dashboard/login", "after sign-out /dashboard redirects to the form")

        print(f"compared {len(rows)} department rows + totals, {points_checked} chart points "
              f"({by_department['totals']['received']} letters received {period['from']}…{period['to']})")
    finally:
        driver.quit()

    if failures:
        print(f"browser test: {len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("browser test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
