"""Batch analysis (issue 13, issue 12 item 2): `rollmat analyze --out DIR`
runs every recording in a worker process of its own, so a file that hangs
its reader (LD_PRELOAD shim: "stall" in the name) is stopped at its time
limit and one that crashes it ("crash") is reported, each as a row of
summary.csv with its error, while the rest finishes; `--shard K/N` and
`rollmat summary DIR` give byte for byte what one run gives; re-running into
a folder adds to it; progress shows on a terminal (a real pty) and nothing
but errors elsewhere. Usage: test_batch.py SHIM.so"""
import csv
import json
import os
import pty
import resource
import select
import shutil
import subprocess
import sys
import tempfile

ROLLMAT = os.environ["ROLLMAT"]
HERE = os.path.dirname(os.path.abspath(__file__))
PLAN = os.path.join(HERE, "batch-short.plan")
SHIM = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args, env=None):
    return subprocess.run([ROLLMAT, *args], capture_output=True, text=True, env=env)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rows_of(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def error_lines_only(r, what):
    lines = r.stderr.splitlines()
    check(all(line.startswith("rollmat: ") for line in lines),
          f"{what}: only 'rollmat: ' error lines on stderr, got {r.stderr!r}")
    return lines


def on_pty(args, env=None):
    """Runs rollmat with stderr on a pseudo-terminal; returns (exit, text)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([ROLLMAT, *args], stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=120), out.decode(errors="replace")


def main():
    # A crash must not leave core files behind.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    tmp = tempfile.mkdtemp(prefix="rollmat-batch-")
    try:
        p = lambda *names: os.path.join(tmp, *names)
        os.mkdir(p("in"))
        for i in range(6):
            r = run("sim", "--plan", PLAN, "--seed", str(i + 1), "-o", p("in", f"s{i}.h5"))
            assert r.returncode == 0, r.stderr
        good = [p("in", f"s{i}.h5") for i in range(6)]
        shutil.copy(good[0], p("in", "stall.h5"))
        shutil.copy(good[1], p("in", "crash.h5"))
        with open(p("in", "junk.h5"), "w") as f:
            f.write("not a recording\n")
        with open(p("in", "cut47.h5"), "wb") as f:  # issue 12: a damaged superblock
            f.write(read(good[0])[:47])
        shutil.copy(good[2], p("in", "selfexit.h5"))
        bad = [p("in", n) for n in ("stall.h5", "crash.h5", "junk.h5", "cut47.h5",
                                    "selfexit.h5")]
        env = dict(os.environ, LD_PRELOAD=SHIM)

        # 1. Issue 12 item 2: a file that hangs, one that crashes and two bad
        # ones among good files: every good file is analysed, every bad one is
        # a row with its error, and the batch ends.
        r = run("analyze", "--out", p("one"), "--jobs", "2", "--timeout", "3", *good, *bad,
                env=env)
        check(r.returncode == 3, f"mixed batch: exit {r.returncode}, want 3 ({r.stderr})")
        lines = error_lines_only(r, "mixed batch")
        check(lines.count("rollmat: a warning first") == 1, f"a worker's warning passed on: {lines}")
        lines = [line for line in lines if line != "rollmat: a warning first"]
        for name in ("stall.h5", "crash.h5", "junk.h5", "cut47.h5", "selfexit.h5"):
            check(sum(name in line for line in lines) == 1, f"one error line for {name}: {lines}")
        check(os.path.exists(p("one", "summary.csv")), "mixed batch: summary.csv written")
        rows = rows_of(p("one", "summary.csv")) if os.path.exists(p("one", "summary.csv")) else []
        by_rec = {}
        for row in rows:
            by_rec.setdefault(row["recording"], []).append(row)
        for f in good:
            check(f in by_rec and by_rec[f][0]["label"] == "calf-left" and not by_rec[f][0]["error"],
                  f"row of {f}")
        for f in bad:
            check(f in by_rec and len(by_rec[f]) == 1 and by_rec[f][0]["error"]
                  and by_rec[f][0]["label"] == "", f"one error row for {f}")
        if rows:
            check("no result after 3 s" in by_rec.get(bad[0], [{}])[0].get("error", ""),
                  f"stall: stopped at its limit: {by_rec.get(bad[0])}")
            check("signal 6" in by_rec.get(bad[1], [{}])[0].get("error", ""),
                  f"crash: reported: {by_rec.get(bad[1])}")
            check(by_rec.get(bad[4], [{}])[0].get("error", "") == bad[4] + ": damaged (shim)",
                  f"a worker that ends itself: its own line is the error: {by_rec.get(bad[4])}")
        # The columns issue 13 added, and holds.csv: one row per hold, with
        # the figures of the recording's document.
        with open(p("one", "s0.analysis.json")) as f:
            doc = json.load(f)
        if rows:
            row = by_rec[good[0]][0]
            check((row["created_utc"], row["device_serial"], row["calibrated"], row["profile"],
                   row["frames_dropped"], row["tool"], row["axis"])
                  == (doc["created_utc"], doc["device_serial"], "true", "default", "0", "roller",
                      "rows"),
                  f"added columns: {row}")
        want_holds = [(f, seg["label"], p_) for f in good
                      for seg in json.load(open(p("one", os.path.basename(f)[:-3]
                                                  + ".analysis.json")))["segments"]
                      for p_ in seg["pauses"] if p_["hold"]]
        holds = rows_of(p("one", "holds.csv"))
        check(len(holds) == len(want_holds) == len(good),
              f"holds.csv: one row per hold ({len(holds)} rows, {len(want_holds)} holds)")
        for h, (f, label, pause) in zip(holds, want_holds):
            got = (h["recording"], h["muscle"], float(h["t_start"]), float(h["duration_s"]),
                   float(h["position_mm"]), float(h["relative_position"]),
                   float(h["mean_force_n"]), float(h["peak_kpa"]), float(h["mean_kpa"]))
            want = (f, label, pause["t_start"], pause["duration_s"], pause["position_mm"],
                    pause["relative_position"], pause["mean_force_n"],
                    pause["peak_pressure_kpa"], pause["mean_pressure_kpa"])
            check(got == want, f"holds.csv row {got} != {want}")
            check(0 < pause["mean_pressure_kpa"] < pause["peak_pressure_kpa"],
                  f"contact-mean below the peak: {pause}")
        with open(p("one", "junk.error.json")) as f:
            rec = json.load(f)
        check(rec["recording"] == bad[2] and rec["exit_code"] == 3 and "junk.h5" in rec["error"],
              f"junk.error.json: {rec}")
        check(not [n for n in os.listdir(p("one")) if n.endswith(".tmp")], "no temp files")

        # 2. Shards of a job array, merged by `rollmat summary`, give what one
        # unsharded run gives, byte for byte (bad files included).
        files = good + bad[1:]
        r = run("analyze", "--out", p("whole"), "--jobs", "2", *files, env=env)
        check(r.returncode == 3, f"whole run: exit {r.returncode}")
        shards = [subprocess.Popen([ROLLMAT, "analyze", "--out", p("sharded"), "--jobs", "1",
                                    "--shard", f"{k}/3", *reversed(files)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                  for k in (1, 2, 3)]
        codes = [s.wait(timeout=120) for s in shards]
        # Each shard exits as its own files make it: 3 for the junk file, 1 for
        # the crash alone.
        check(all(c in (0, 1, 3) for c in codes) and 3 in codes, f"shards ran: exits {codes}")
        shard_rows = []
        for k in (1, 2, 3):
            path = p("sharded", f"summary-{k}-of-3.csv")
            check(os.path.exists(path), f"summary-{k}-of-3.csv written")
            if os.path.exists(path):
                shard_rows += rows_of(path)
        check(not os.path.exists(p("sharded", "summary.csv")), "shards leave summary.csv alone")
        r = run("summary", p("sharded"))
        check(r.returncode == 0 and r.stderr == "", f"summary: exit {r.returncode} {r.stderr}")
        for table in ("summary.csv", "holds.csv"):
            a, b = p("whole", table), p("sharded", table)
            check(os.path.exists(a) and os.path.exists(b) and read(a) == read(b),
                  f"{table}: merged shards identical to one run")
        check(sorted(map(str, shard_rows)) == sorted(map(str, rows_of(p("whole", "summary.csv")))),
              "the shards' own tables hold the same rows")

        # 3. Running again into a folder adds to it; a recording of the same
        # name from elsewhere gets a name of its own; re-analysing a
        # recording replaces its own result only.
        os.mkdir(p("other"))
        shutil.copy(good[2], p("other", "s0.h5"))
        check(run("analyze", "--out", p("study"), good[0], good[1]).returncode == 0, "study 1")
        check(run("analyze", "--out", p("study"), p("other", "s0.h5")).returncode == 0, "study 2")
        check(run("analyze", "--out", p("study"), good[0], good[2]).returncode == 0, "study 3")
        names = sorted(n for n in os.listdir(p("study")) if n.endswith(".analysis.json"))
        check(names == ["s0-2.analysis.json", "s0.analysis.json", "s1.analysis.json",
                        "s2.analysis.json"], f"study: results kept and added: {names}")
        recs = [row["recording"] for row in rows_of(p("study", "summary.csv"))]
        check(sorted(recs) == sorted([good[0], good[1], good[2], p("other", "s0.h5")]),
              f"study: summary.csv over every result in the folder: {recs}")
        r = run("analyze", "--out", p("study-once"), good[0], good[1], good[2], p("other", "s0.h5"))
        check(read(p("study", "summary.csv")) == read(p("study-once", "summary.csv")),
              "study: three runs give the table of one")
        # A recording that has turned bad replaces its own old result.
        shutil.copy(p("in", "junk.h5"), good[2])
        r = run("analyze", "--out", p("study"), good[2])
        check(r.returncode == 3 and not os.path.exists(p("study", "s2.analysis.json"))
              and os.path.exists(p("study", "s2.error.json")), "study: a result turned bad")
        run("sim", "--plan", PLAN, "--seed", "3", "-o", good[2])
        r = run("analyze", "--out", p("study"), good[2])
        check(r.returncode == 0 and os.path.exists(p("study", "s2.analysis.json"))
              and not os.path.exists(p("study", "s2.error.json")), "study: and good again")

        # 4. Usage.
        for bad_arg in ("0/2", "3/2", "1/0", "x", "1/2x", "/2", "1/", "-1/2"):
            r = run("analyze", "--out", p("u"), "--shard", bad_arg, good[0])
            check(r.returncode == 2 and len(r.stderr.splitlines()) == 1,
                  f"--shard {bad_arg}: exit {r.returncode} {r.stderr!r}")
        r = run("analyze", "--shard", "1/2", good[0], good[1])
        check(r.returncode == 2, f"--shard without --out: exit {r.returncode}")
        for args in ([], [p("nothere")], [good[0]], [p("a"), p("b")]):
            r = run("summary", *args)
            check(r.returncode == 2, f"summary {args}: exit {r.returncode}")
        check(run("summary", "--help").returncode == 0 and run("summary", "-h").returncode == 0,
              "summary --help, -h")
        table_before = read(p("study", "summary.csv"))
        with open(p("study", "broken.analysis.json"), "w") as f:
            f.write("{ not json")
        r = run("summary", p("study"))
        check(r.returncode == 3 and "broken.analysis.json" in r.stderr
              and len(r.stderr.splitlines()) == 1, f"summary of a broken result: {r.stderr!r}")
        with open(p("study", "broken.analysis.json"), "w") as f:
            json.dump({"rollmat_analysis_version": 1, "recording": "x.h5",
                       "segments": [{"label": 5, "source": "auto"}]}, f)
        r = run("summary", p("study"))
        check(r.returncode == 3 and "broken.analysis.json:segments[0].label: not a string"
              in r.stderr, f"summary names the bad field: {r.stderr!r}")
        check(read(p("study", "summary.csv")) == table_before,
              "a failed summary leaves the last table in place")

        # 5. Progress on a terminal, a closing line; --quiet: errors only.
        code, text = on_pty(["analyze", "--out", p("tty"), "--jobs", "2",
                             good[0], good[1], good[3], p("in", "junk.h5")])
        check(code == 3, f"pty: exit {code}")
        check("/4 recordings" in text, f"pty: progress line: {text!r}")
        check("4 recordings: 3 ok, 1 bad" in text, f"pty: closing line: {text!r}")
        check("rollmat: " in text and "junk.h5" in text, f"pty: the error: {text!r}")
        code, text = on_pty(["analyze", "--quiet", "--out", p("tty-q"), good[0],
                             p("in", "junk.h5")])
        lines = [l for l in text.replace("\r", "\n").splitlines() if l.strip()]
        check(code == 3 and len(lines) == 1 and lines[0].startswith("rollmat: "),
              f"pty --quiet: only the error: {text!r}")

        # 6. Several files without --out: documents in the order given, and no
        # temporary folder left behind.
        os.mkdir(p("tmpdir"))
        quiet_env = dict(os.environ, TMPDIR=p("tmpdir"))
        r = run("analyze", "--json", good[3], good[0], env=quiet_env)
        docs = json.loads(r.stdout) if r.returncode == 0 else []
        check([d["recording"] for d in docs] == [good[3], good[0]], "--json: order given")
        r = run("analyze", good[3], p("in", "junk.h5"), good[0], env=quiet_env)
        check(r.returncode == 3 and r.stdout.index("s3.h5") < r.stdout.index("s0.h5"),
              f"summaries in the order given: {r.stdout!r}")
        check(os.listdir(p("tmpdir")) == [], f"temporary files left: {os.listdir(p('tmpdir'))}")
    finally:
        shutil.rmtree(tmp)
    if failures:
        print(f"{len(failures)} failures")
        sys.exit(1)
    print("batch analysis: all checks passed")


main()
