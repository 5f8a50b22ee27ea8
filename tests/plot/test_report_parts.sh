#!/usr/bin/env bash
# The report's parts in a real browser (headless Chromium, offline): the
# movie plays and follows its scrubber, the hold table says what the
# analysis JSON says, left/right appears for paired labels and not
# otherwise, the runner view hides the technical marks, no console errors,
# and the print layout puts one muscle on a page (--print-to-pdf, then
# pdftotext/pdftoppm). Screenshots of each part and the printed pages are
# kept in $ROLLMAT_ARTEFACTS_DIR/report (build/artefacts/report).
set -euo pipefail

chromium=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chromium ]]; then
  echo "SKIP: chromium is not installed (./scripts/setup-deps.sh --browser installs it)"
  exit 77
fi
for tool in pdftotext pdftoppm pdfinfo; do
  command -v $tool >/dev/null || { echo "SKIP: $tool missing (apt-get install poppler-utils)"; exit 77; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
art=${ROLLMAT_ARTEFACTS_DIR:-$work/artefacts}/report
mkdir -p "$art"
rm -f "$art"/*.png "$art"/*.pdf

"$ROLLMAT" sim --plan "$here/left-right.plan" -o "$work/lr.h5"
"$ROLLMAT" plot --out "$work/lr" "$work/lr.h5" >/dev/null
"$ROLLMAT" sim --plan "$here/two-muscles.plan" -o "$work/two.h5"
"$ROLLMAT" plot --out "$work/two" "$work/two.h5" >/dev/null
"$ROLLMAT" plot --compare --out "$work/compare" "$work/two.h5" "$work/lr.h5" >/dev/null

n=0
browse() {
  # Every flag that keeps Chromium from reaching the network or a profile;
  # virtual time lets pictures load and the page's timers run.
  n=$((n + 1))
  timeout 90 "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --no-first-run --disable-component-update --disable-sync --disable-default-apps \
    --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" --enable-logging=stderr --v=0 \
    --virtual-time-budget=5000 "$@" 2>"$work/browse-$n.err"
}
lr=file://$work/lr/report.html
browse --dump-dom "$lr#selftest" >"$work/selftest.html"
browse --dump-dom "$lr" >"$work/lr.html"
browse --dump-dom "file://$work/two/report.html" >"$work/two.html"
browse --print-to-pdf="$work/report.pdf" --no-pdf-header-footer "$lr" >/dev/null
for part in movie holds pair segment-1; do
  browse --window-size=1280,1400 --screenshot="$art/$part.png" "$lr#only=$part" >/dev/null
done
browse --window-size=1280,1400 --screenshot="$art/segment-1-runner.png" "$lr#runner,only=segment-1" \
  >/dev/null
browse --window-size=1280,1400 --screenshot="$art/compare.png" "file://$work/compare/compare.html" \
  >/dev/null
browse --dump-dom "file://$work/compare/compare.html" >"$work/compare.html"
cp "$work/report.pdf" "$art/report.pdf"
pdftoppm -r 40 -png "$work/report.pdf" "$art/print-page"
pages=$(pdfinfo "$work/report.pdf" | awk '/^Pages:/ {print $2}')
for ((p = 1; p <= pages; p++)); do
  pdftotext -layout -f $p -l $p "$work/report.pdf" "$work/page-$p.txt"
done

"$ROLLMAT_PYTHON" - "$work" "$pages" <<'PY'
import html, json, re, sys
work, pages = sys.argv[1], int(sys.argv[2])
fail = []
doc = json.load(open(work + "/lr/analysis.json"))
segs = doc["segments"]
holds = [(s["label"], p) for s in segs for p in s["pauses"] if p["hold"]]

# ---- the movie plays and follows its scrubber -----------------------------
m = re.search(r'<pre id="rm-selftest">(\{.*?)</pre>', open(work + "/selftest.html").read(), re.S)
if not m:
    fail.append("the page's self-test wrote nothing")
else:
    st = json.loads(html.unescape(m.group(1)))
    if st["errors"]:
        fail.append("script errors: %s" % st["errors"])
    if st["frames"] < 100:
        fail.append("movie has only %d frames" % st["frames"])
    if st["sig_scrubbed"] == st["sig_start"]:
        fail.append("moving the scrubber did not change the frame shown")
    if st["info_scrubbed"] == st["info_start"] or "calf-left" not in st["info_scrubbed"]:
        fail.append("the line under the movie did not follow: %r" % st["info_scrubbed"])
    if not st["index_played"] > st["index_scrubbed"]:
        fail.append("play did not advance (%d -> %d)" % (st["index_scrubbed"], st["index_played"]))
    if st["sig_played"] == st["sig_scrubbed"]:
        fail.append("playing did not change the frame shown")
    if st["marks"] != len(holds):
        fail.append("%d hold marks on the scrubber, %d holds" % (st["marks"], len(holds)))
    if not (st["runner_hidden"] == 0 and st["runner_shown"] > 0 and st["clinician_tech"] > 0):
        fail.append("runner view: %s" % st)

# ---- the hold table says what the analysis says ---------------------------
dom = open(work + "/lr.html", encoding="utf-8").read()
t = re.search(r'<table class="grid" id="holds-table">(.*?)</table>', dom, re.S)
rows = re.findall(r"<tr data-segment=\"\d+\">(.*?)</tr>", t.group(1), re.S) if t else []
cells = [[html.unescape(re.sub("<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
         for r in rows]
if len(cells) != len(holds) or not holds:
    fail.append("hold table has %d rows, the analysis %d holds" % (len(cells), len(holds)))
for row, (label, p) in zip(cells, holds):
    want = [label, "%.0f" % p["position_mm"], "%.2f" % p["relative_position"],
            "%.1f" % p["t_start"], "%.1f" % p["duration_s"]]
    if row[:5] != want:
        fail.append("hold row %s != %s" % (row[:5], want))
    if row[6] != "%.0f" % p["mean_force_n"] or row[8] != "%.0f" % p["peak_pressure_kpa"]:
        fail.append("hold row force/peak %s != %s %s" % (row, p["mean_force_n"], p["peak_pressure_kpa"]))
    target = doc["profile"]
    on = target["hold_target_min_s"] <= p["duration_s"] <= target["hold_target_max_s"]
    if (row[5] == "on target") != on:
        fail.append("hold judged %r for %.1f s" % (row[5], p["duration_s"]))

# ---- left/right for paired labels only ------------------------------------
pairs = re.findall(r'<section class="pair"[^>]*>\s*<h2>(.*?)</h2>', dom, re.S)
if pairs != ["calf-left against calf-right"]:
    fail.append("pairs in the paired session: %s" % pairs)
if 'class="pair"' in open(work + "/two.html", encoding="utf-8").read():
    fail.append("a left/right section without a right side")
pair = dom[dom.index('<section class="pair"'):]
pair = pair[:pair.index("</section>")]
if "symmetry index" not in pair or pair.count("<img ") < 2:
    fail.append("the pair lacks its symmetry index or its two heatmaps")
L = next(s for s in segs if s["label"] == "calf-left")
R = next(s for s in segs if s["label"] == "calf-right")
si = 100 * abs(L["rolling"]["speed_median_mm_s"] - R["rolling"]["speed_median_mm_s"]) / (
    (L["rolling"]["speed_median_mm_s"] + R["rolling"]["speed_median_mm_s"]) / 2)
speed_row = re.search(r"<th>median speed \(mm/s\)</th><td>(\d+)</td><td>(\d+)</td><td>(\d+) %</td>", pair)
if not speed_row or abs(int(speed_row.group(3)) - si) > 1:
    fail.append("speed symmetry index %s, expected %.0f %%" % (speed_row and speed_row.groups(), si))

# ---- two sessions side by side ----------------------------------------------
cmp = open(work + "/compare.html", encoding="utf-8").read()
if re.findall(r"<h2>(.*?)</h2>", cmp) != ["calf-left"] or "calf-left-compare.png" not in cmp:
    fail.append("compare.html: %s" % re.findall(r"<h2>(.*?)</h2>", cmp))

# ---- nothing else goes wrong ----------------------------------------------
import glob
for name in sorted(glob.glob(work + "/browse-*.err")):
    for line in open(name, encoding="utf-8", errors="replace"):
        if ("CONSOLE" in line or "Failed to load" in line or "ERR_" in line) and "dbus" not in line:
            fail.append(name.rsplit("/", 1)[1] + ": " + line.strip())

# ---- print: one muscle a page ----------------------------------------------
n = len(segs)
seen = {}
for p in range(1, pages + 1):
    text = open("%s/page-%d.txt" % (work, p), encoding="utf-8").read()
    found = re.findall(r"muscle (\d+) of %d" % n, text)
    if len(found) > 1:
        fail.append("page %d holds muscles %s" % (p, found))
    for k in found:
        seen[int(k)] = p
        label = segs[int(k) - 1]["label"]
        if label not in text:
            fail.append("page %d: muscle %s without its name" % (p, k))
if sorted(seen) != list(range(1, n + 1)):
    fail.append("printed muscles %s of %d" % (sorted(seen), n))
# Each muscle's pictures stay on its page: the next page is another part.
if pages > n + 4:
    fail.append("%d printed pages for %d muscles: a muscle runs over a page" % (pages, n))

if fail:
    print("FAIL:\n  " + "\n  ".join(fail))
    sys.exit(1)
print("report parts: movie of %d frames plays and scrubs, %d holds match the JSON, one pair, "
      "%d muscles on %d printed pages" % (st["frames"], len(holds), n, pages))
PY
echo "screenshots in $art"
