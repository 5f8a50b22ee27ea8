"""The live page in a real browser: headless Chromium (driven over the
DevTools protocol on a pipe) at phone size opens rollmatd's page while a
session replays hold.plan, and from the DOM over the session sees the
state go off -> rolling -> hold -> rolling, the hold timer reach the
plan's hold within 1 s, the speed zone too_fast on the hurried pass, the
pressure map drawn, and no console error. The phone-size screenshot is
kept (ROLLMAT_ARTEFACTS, else the build folder) as live-phone.png.

Exits 77 (skipped) without chromium."""
import json
import os
import shutil
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livelib import Browser, Daemon, fail  # noqa: E402

HOLD_S = 8.0
PHONE = (390, 844)

chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    print("SKIP: chromium is not installed (./scripts/setup-deps.sh --browser installs it)")
    sys.exit(77)

work = tempfile.mkdtemp(prefix="rollmat-live-browser-")
d = Daemon()
b = None
try:
    b = Browser(chromium, work)
    b.call("Emulation.setDeviceMetricsOverride",
           {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})
    b.call("Page.navigate", {"url": d.url})
    probe = ("(() => { const $ = (id) => document.getElementById(id);"
             " if (!$('state')) return '{}';"
             " return JSON.stringify({state: $('state').dataset.state,"
             " trail: $('state').dataset.trail, hold: Number($('hold').dataset.max),"
             " zone: $('zone').dataset.zone, muscle: $('muscle').textContent}); })()")
    end = time.time() + 15
    while time.time() < end and json.loads(b.evaluate(probe) or "{}").get("state") != "idle":
        time.sleep(0.2)
    d.control("start", "calf-left")
    zones, seen, shot_taken = set(), None, False
    end = time.time() + 80
    while time.time() < end:
        seen = json.loads(b.evaluate(probe))
        zones.add(seen["zone"])
        trail = seen["trail"].split()
        if seen["state"] == "hold" and not shot_taken and seen["hold"] > 3:
            b.screenshot(os.path.join(work, "live-phone.png"))  # mid-hold: the timer shows
            shot_taken = True
        if len(trail) > 3 and trail[-1] == "idle":
            break
        time.sleep(0.1)
    if not shot_taken:
        b.screenshot(os.path.join(work, "live-phone.png"))
    trail = seen["trail"].split()
    it = iter(trail)
    want = ["off", "rolling", "hold", "rolling"]
    if not all(s in it for s in want):
        fail("the page's states %s do not go %s" % (trail, " -> ".join(want)))
    if abs(seen["hold"] - HOLD_S) > 1.0:
        fail("the page's hold timer reached %.1f s, the plan holds %.1f s" % (seen["hold"], HOLD_S))
    if "too_fast" not in zones:
        fail("the page never showed too_fast: %s" % zones)
    drawn = b.evaluate("(() => { const c = document.getElementById('map');"
                       " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                       " let lit = 0; for (let i = 0; i < d.length; i += 4) lit += d[i] > 60;"
                       " return [c.width, c.height, lit]; })()")
    if drawn[:2] != [32, 64]:
        fail("the pressure map is %sx%s, not the 32x64 mat" % tuple(drawn[:2]))
    # Let any late error surface.
    b.evaluate("1")
    if b.errors:
        fail("console errors:\n  " + "\n  ".join(b.errors))
    png = os.path.join(work, "live-phone.png")
    with open(png, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or struct.unpack(">II", head[16:24]) != PHONE:
        fail("the screenshot is not a %dx%d PNG" % PHONE)
    keep = os.environ.get("ROLLMAT_ARTEFACTS") or os.environ.get("ROLLMAT_BIN_DIR", work)
    shutil.copy(png, os.path.join(keep, "live-phone.png"))
    print("browser: states %s, hold timer %.1f s, zones %s, no console errors; screenshot %s" % (
        " -> ".join(trail), seen["hold"], sorted(z for z in zones if z),
        os.path.join(keep, "live-phone.png")))
finally:
    if b:
        b.close()
    d.cleanup()
    shutil.rmtree(work, ignore_errors=True)
