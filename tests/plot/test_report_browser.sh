#!/usr/bin/env bash
# report.html in a real browser: headless Chromium, offline, loads the
# report of a simulated two-muscle session, must render it (a screenshot of
# real size, the DOM holding the muscles and every picture decoded) with no
# console errors and no request outside the output directory.
set -euo pipefail

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)

"$ROLLMAT" sim --plan "$here/two-muscles.plan" -o "$work/two.h5"
report=$("$ROLLMAT" plot --out "$work/out" "$work/two.h5" | tail -n 1)
[[ $report == "$work/out/report.html" ]] || { echo "FAIL: plot printed '$report'"; exit 1; }

rc=0
bash "$here/../browse_report.sh" "$report" "$work" 1200 2000 || rc=$?
if ((rc == 77)); then
  echo "SKIP: chromium is not installed (./scripts/setup-deps.sh --browser installs it)"
  exit 0
fi
((rc == 0)) || exit 1

"$ROLLMAT_PYTHON" - "$work" <<'PY'
import re, struct, sys
work = sys.argv[1]
fail = []
with open(work + "/shot.png", "rb") as f:
    head = f.read(24)
if head[:8] != b"\x89PNG\r\n\x1a\n":
    fail.append("screenshot is not a PNG")
else:
    w, h = struct.unpack(">II", head[16:24])
    if (w, h) != (1200, 2000):
        fail.append("screenshot is %dx%d" % (w, h))
import os
if os.path.getsize(work + "/shot.png") < 20000:
    fail.append("screenshot is nearly empty (%d bytes)" % os.path.getsize(work + "/shot.png"))
dom = open(work + "/dom.html", encoding="utf-8").read()
for needle in ("Foam rolling report", "calf-left", "quad&lt;b&gt;&amp;co'", "Session score"):
    if needle not in dom:
        fail.append("rendered page lacks " + needle)
# Per muscle a heatmap (and its runner's copy: the simulated mat has dead
# sensels), the force/pressure curves and the timeline; the overview.
if len(re.findall(r"<img ", dom)) != 9:
    fail.append("expected 9 pictures in the page, found %d" % len(re.findall(r"<img ", dom)))
for name in ("shot.err", "dom.err"):
    for line in open(work + "/" + name, encoding="utf-8", errors="replace"):
        # Console messages and failed loads; D-Bus complaints of a machine
        # without a session bus are not about the page.
        if "CONSOLE" in line or "Failed to load" in line or "ERR_" in line:
            if "dbus" not in line:
                fail.append(name + ": " + line.strip())
if fail:
    print("FAIL:\n  " + "\n  ".join(fail))
    sys.exit(1)
print("report rendered: 1200x2000 screenshot, 9 pictures, no console errors")
PY
