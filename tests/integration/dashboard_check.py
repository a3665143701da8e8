#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# The dashboard in a real browser: headless Chromium driven by Selenium
# (Debian's chromium, chromium-driver and python3-selenium) loads the fleet
# page and web2's host page of the central that web-lib.sh starts, saves
# screenshots, and checks what a person would see: the hosts, web2's
# failing check in its state colour with its remedy text, and every graph
# image loaded. Usage: dashboard_check.py BASE_URL ARTIFACT_DIR
import os
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

BASE, ARTIFACTS = sys.argv[1].rstrip("/"), sys.argv[2]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ok(msg):
    print("ok: " + msg)


def browser(width, height, phone=False):
    opts = webdriver.ChromeOptions()
    if phone:
        # A headless window is never narrower than 500 px: emulate the phone.
        opts.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}})
    opts.binary_location = "/usr/bin/chromium"
    # The flags the machine notes ask for: no sandbox as root, and no
    # background networking, which this closed network refuses.
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--window-size={width},{height}",
                 "--user-data-dir=" + tempfile.mkdtemp(prefix="hm-chromium-")):
        opts.add_argument(flag)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    d.set_page_load_timeout(60)
    return d


def rgb(css):
    """'rgb(200, 30, 40)' or 'rgba(200, 30, 40, 1)' -> (200, 30, 40)."""
    inside = css[css.index("(") + 1:css.index(")")]
    return tuple(int(float(x)) for x in inside.split(",")[:3])


def reddish(c):
    r, g, b = c
    return r > 150 and r > g + 60 and r > b + 60


def images_loaded(d, page):
    # Wait (bounded) until every <img> has finished, then check each.
    d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const end = Date.now() + 45000;
        (function wait() {
            if ([...document.images].every(i => i.complete) || Date.now() > end) done();
            else setTimeout(wait, 200);
        })();""")
    imgs = d.execute_script(
        "return [...document.images].map(i => [i.src, i.complete, i.naturalWidth, i.naturalHeight])")
    if not imgs:
        fail(f"{page}: no graph images")
    broken = [i for i in imgs if not i[1] or i[2] == 0]
    if broken:
        fail(f"{page}: {len(broken)} of {len(imgs)} images did not load: {broken[:3]}")
    ok(f"{page}: all {len(imgs)} graph images loaded")


def failing_check_shown(d, page):
    # web2's critical probe check: an element naming it, in red, with a remedy.
    cells = [e for e in d.find_elements(By.CSS_SELECTOR, ".critical")
             if "probe" in e.text or "shop" in e.text or "web2" in e.text]
    if not cells:
        fail(f"{page}: no element of class 'critical' names web2's probe")
    colours = []
    for e in cells:
        for prop in ("background-color", "border-left-color", "color", "border-color"):
            colours.append(rgb(e.value_of_css_property(prop)))
    if not any(reddish(c) for c in colours):
        fail(f"{page}: the critical check is not shown in red: {colours[:6]}")
    body = d.find_element(By.TAG_NAME, "body").text
    if "To fix" not in body and "to fix" not in body.lower():
        fail(f"{page}: no remedy ('To fix ...') on the page")
    ok(f"{page}: web2's failing check shown in red, with its remedy")


def main():
    os.makedirs(ARTIFACTS, exist_ok=True)
    d = browser(1280, 1000)
    try:
        d.get(BASE + "/")
        text = d.find_element(By.TAG_NAME, "body").text
        missing = [h for h in ("hub", "web1", "web2", "db1") if h not in text]
        if missing:
            fail(f"fleet page: hosts missing: {missing}")
        ok("fleet page shows hub, web1, web2 and db1")
        failing_check_shown(d, "fleet page")
        images_loaded(d, "fleet page")
        d.save_screenshot(os.path.join(ARTIFACTS, "dashboard-fleet.png"))
        d.get(BASE + "/host?host=web2")
        failing_check_shown(d, "web2's page")
        images_loaded(d, "web2's page")
        d.save_screenshot(os.path.join(ARTIFACTS, "dashboard-web2.png"))
    finally:
        d.quit()
    phone = browser(390, 844, phone=True)
    try:
        phone.get(BASE + "/")
        width = phone.execute_script("return document.documentElement.scrollWidth")
        if width > 420:
            fail(f"phone: the page is {width} px wide on a 390 px screen")
        phone.save_screenshot(os.path.join(ARTIFACTS, "dashboard-phone.png"))
        ok(f"phone: fits the screen ({width} px)")
    finally:
        phone.quit()
    print(f"screenshots in {ARTIFACTS}")


main()
