#!/usr/bin/env bash
# The history's report.html in a real browser: headless Chromium, offline,
# must render it (a screenshot of real size, every picture decoded in the
# DOM) with no console errors and no failed load. Usage: report_browser.sh
# DIR/report.html. Skips, saying why, without Chromium.
set -euo pipefail
report=$1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rc=0
bash "$(dirname "$0")/../browse_report.sh" "$report" "$work" 1200 2400 || rc=$?
if ((rc == 77)); then
  echo "SKIP: chromium is not installed (./scripts/setup-deps.sh --browser installs it)"
  exit 0
fi
((rc == 0)) || exit 1

"$ROLLMAT_PYTHON" - "$work" "$(dirname "$report")" <<'PY'
import os, re, struct, sys
work, out = sys.argv[1], sys.argv[2]
fail = []
with open(work + "/shot.png", "rb") as f:
    head = f.read(24)
if head[:8] != b"\x89PNG\r\n\x1a\n":
    fail.append("screenshot is not a PNG")
elif struct.unpack(">II", head[16:24]) != (1200, 2400):
    fail.append("screenshot is %dx%d" % struct.unpack(">II", head[16:24]))
if os.path.getsize(work + "/shot.png") < 20000:
    fail.append("screenshot is nearly empty")
dom = open(work + "/dom.html", encoding="utf-8").read()
for needle in ("Rolling history", "Tender spots that come back", "Sessions per week"):
    if needle not in dom:
        fail.append("rendered page lacks " + needle)
pictures = sorted(n for n in os.listdir(out) if n.endswith(".png"))
shown = sorted(re.findall(r'<img src="([^"]+)"', dom))
if shown != pictures:
    fail.append("pictures shown %s, made %s" % (shown, pictures))
if fail:
    print("FAIL:\n  " + "\n  ".join(fail))
    sys.exit(1)
print("history report rendered: 1200x2400 screenshot, %d pictures, no console errors"
      % len(pictures))
PY
