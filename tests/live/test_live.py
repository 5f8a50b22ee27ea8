"""rollmatd --http end to end (shared/spec/live.md), one case per run:

  stream    the event stream against live.md field for field (this reader
            is independent of the daemon: Python's json), >= 10 events/s
            while the session runs, the states off -> rolling -> hold ->
            rolling, the hold timer against the plan's hold, too_fast on
            the hurried pass; then every hold the stream timed is a hold of
            `rollmat analyze` of the recording (start and end within
            0.5 s) and the speed zones agree with the batch speed; /frame
            and /session.
  security  127.0.0.2 stands for an address off loopback: 403 without the
            token, the page with it (and its cookie); `..`, encoded
            slashes, long URLs, other methods, unknown paths refused; on
            127.0.0.1 a foreign Host is refused; bad --http is a usage
            error; --profile sets the targets the page coaches by.
  clients   50 event streams at once while the session records, and one
            client that stops reading: the recording drops no frame, every
            reader gets the events, the stalled one is dropped and logged.
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from livelib import (BIN, ROLLMAT, Daemon, EventReader, check_event, fail,  # noqa: E402
                     request)

HOLD_S = 8.0  # hold.plan's pause


def analyze(path):
    r = subprocess.run([ROLLMAT, "analyze", "--json", path], capture_output=True, text=True)
    if r.returncode != 0:
        fail("analyze: " + r.stderr)
    return json.loads(r.stdout)


def batch_speed(path):
    r = subprocess.run([os.path.join(BIN, "batch_speed"), path], capture_output=True, text=True,
                       check=True)
    t, v = [], []
    for line in r.stdout.split("\n"):
        parts = line.split()
        if parts:
            t.append(float(parts[0]))
            v.append(float(parts[1]) if len(parts) > 1 else None)
    return t, v


def wait_session_end(d, timeout=90):
    end = time.time() + timeout
    while time.time() < end:
        status = json.loads(d.control("status", "--json"))
        if status["state"] in ("ended", "idle") and status["last_session"]:
            return
        time.sleep(0.5)
    fail("the session did not end")


def holds_of(events):
    """Holds as the stream timed them: (start, end) from each run of
    `hold` events (start = t - hold_s of its last event)."""
    holds, run = [], []
    for _, ev in events + [(0, {"state": "end"})]:
        if ev["state"] == "hold":
            run.append(ev)
        elif run:
            last = run[-1]
            holds.append((last["t"] - last["hold_s"], last["t"], max(e["hold_s"] for e in run)))
            run = []
    return holds


def case_stream():
    d = Daemon()
    try:
        r = EventReader(d.host, d.port)
        r.pump(1.5)
        idle = [ev for _, ev in r.events]
        if not idle or any(ev["state"] != "idle" or ev["session"] is not None for ev in idle):
            fail("before a session the stream should say idle: %r" % idle[:3])
        d.control("start", "calf-left")
        r.pump(3.0)
        st, _, body = request(d.host, d.port, "/frame")
        frame = json.loads(body)
        if st != 200 or frame["rows"] != 64 or frame["cols"] != 32 or \
                len(frame.get("counts", [])) != 64 * 32 or len(frame["pitch_mm"]) != 2:
            fail("/frame: %d %s" % (st, body[:200]))
        while not r.closed:
            r.pump(1.0)
            if r.events and r.events[-1][1]["state"] == "idle" and len(r.events) > 200:
                break
        r.close()
        wait_session_end(d)
        rec = d.recording()
        st, _, body = request(d.host, d.port, "/session")
        so_far = json.loads(body)
        if st != 200 or so_far["muscles"] != ["calf-left"] or len(so_far["holds"]) != 1 or \
                not 0 <= so_far["score"]["total"] <= 100 or so_far["rolling_s"]["too_fast"] <= 0:
            fail("/session after the session: %d %s" % (st, body[:400]))
        events = [(at, ev) for at, ev in r.events]
        for _, ev in events:
            check_event(ev)
        live = [(at, ev) for at, ev in events if ev["state"] != "idle"]
        if not live:
            fail("no event while the session ran")
        # Rate: over the session, in every whole second.
        t0, t1 = live[0][1]["t"], live[-1][1]["t"]
        for s in range(int(t0) + 1, int(t1) - 1):
            n = sum(1 for _, ev in live if s <= ev["t"] < s + 1)
            if n < 10:
                fail("only %d events in second %d of the session" % (n, s))
        if any(ev["muscle"] != "calf-left" for _, ev in live):
            fail("events without the muscle")
        trail = []
        for _, ev in live:
            if not trail or trail[-1] != ev["state"]:
                trail.append(ev["state"])
        want = ["off", "rolling", "hold", "rolling"]
        it = iter(trail)
        if not all(s in it for s in want):
            fail("states %s do not go %s" % (trail, " -> ".join(want)))
        zones = {ev["speed_zone"] for _, ev in live}
        if "too_fast" not in zones:
            fail("the hurried pass was never too_fast: %s" % zones)
        timed = holds_of(live)
        if len(timed) != 1:
            fail("expected one hold on the page, got %s" % timed)
        if abs(timed[0][2] - HOLD_S) > 1.0:
            fail("the hold timer reached %.2f s, the plan holds %.1f s" % (timed[0][2], HOLD_S))
        doc = analyze(rec)
        batch = [p for s in doc["segments"] for p in s["pauses"] if p["hold"]]
        for start, end, _ in timed:
            if not any(abs(start - p["t_start"]) <= 0.5 and abs(end - p["t_end"]) <= 0.5
                       for p in batch):
                fail("the page's hold %.2f-%.2f is no hold of analyze (%s)" % (
                    start, end, [(p["t_start"], p["t_end"]) for p in batch]))
        # Zones: against the batch speed where it is clearly inside one.
        bt, bv = batch_speed(rec)
        agree = total = 0
        for _, ev in live:
            if ev["state"] != "rolling":
                continue
            k = int(round((ev["t"] - bt[0]) * 100))  # the frame at t (100 Hz, none lost)
            if not 0 <= k < len(bv) or bv[k] is None:
                continue
            v = bv[k]
            if min(abs(v - 50), abs(v - 100)) < 10:
                continue
            want_zone = "slow" if v <= 50 else "brisk" if v <= 100 else "too_fast"
            total += 1
            agree += ev["speed_zone"] == want_zone
        if total < 50 or agree < 0.9 * total:
            fail("speed zones agree with the batch speed in %d of %d events" % (agree, total))
        print("stream: %d events, states %s, hold %.2f-%.2f s (timer %.2f s) vs analyze %s, "
              "zones agree %d/%d" % (len(events), " -> ".join(trail), timed[0][0], timed[0][1],
                                     timed[0][2], [(p["t_start"], p["t_end"]) for p in batch],
                                     agree, total))
    finally:
        d.cleanup()


def case_security():
    d = Daemon(addr="127.0.0.2")
    try:
        if not d.token:
            fail("no token in the URL of a non-loopback address: " + d.url)
        h, p, tok = d.host, d.port, d.token
        for target in ("/", "/events", "/frame", "/session", "/live.js", "/?token=" + "0" * 32,
                       "/?token=" + tok[:-1]):
            st, _, _ = request(h, p, target)
            if st != 403:
                fail("%s without the token: %d, not 403" % (target, st))
        st, hdr, body = request(h, p, "/?token=" + tok)
        if st != 200 or b"<html" not in body:
            fail("the page with the token: %d" % st)
        cookie = hdr.get("set-cookie", "")
        if not cookie.startswith("rollmat_token=" + tok) or "HttpOnly" not in cookie:
            fail("no token cookie: %r" % cookie)
        for target in ("/frame", "/session", "/live.js", "/live.css"):
            st, _, _ = request(h, p, target, {"Cookie": "rollmat_token=" + tok})
            if st != 200:
                fail("%s with the cookie: %d" % (target, st))
        q = "?token=" + tok
        refused = {
            "/../etc/passwd" + q: 400, "/%2e%2e/etc/passwd" + q: 400, "/.%2E/x" + q: 400,
            "/a%2fb" + q: 400, "/a%2Fb" + q: 400, "/a%5cb" + q: 400, "/..%2fetc" + q: 400,
            "/x/.." + q: 400, "/" + "a" * 600 + q: 414, "/nothing" + q: 404,
            "/index.html" + q: 404, "/etc/passwd" + q: 404,
        }
        for target, want in refused.items():
            st, _, body = request(h, p, target)
            if st != want:
                fail("%s: %d, expected %d" % (target[:60], st, want))
        st, _, _ = request(h, p, "/" + q, method="POST")
        if st != 405:
            fail("POST: %d" % st)
        # Headers past the request limit are refused, never buffered.
        st, _, _ = request(h, p, "/" + q, {"X-Big": "a" * 20000})
        if st < 400:
            fail("a 20 kB header was accepted: %d" % st)
        d.cleanup()
        d = Daemon()
        if d.token:
            fail("127.0.0.1 needs no token: " + d.url)
        st, _, _ = request(d.host, d.port, "/")
        if st != 200:
            fail("127.0.0.1 page: %d" % st)
        st, _, _ = request(d.host, d.port, "/", {"Host": "evil.example:%d" % d.port})
        if st != 403:
            fail("a foreign Host (DNS rebinding) got %d" % st)
        for bad in ("x", "127.0.0.1:", ":80", "127.0.0.1:70000", "localhost:80", "1.2.3:80"):
            r = subprocess.run([os.path.join(BIN, "rollmatd"), "--http", bad, "--dir", d.dir],
                               capture_output=True, text=True, timeout=10)
            if r.returncode != 2 or "--http" not in r.stderr:
                fail("--http %s: exit %d, %r" % (bad, r.returncode, r.stderr))
        d.cleanup()
        # --profile: the page coaches by it; a bad one stops the daemon.
        d = Daemon(extra=("--profile", "short"))
        r = EventReader(d.host, d.port)
        r.pump(1.5)
        r.close()
        if not r.events or r.events[-1][1]["hold_target_s"] != [8, 12]:
            fail("--profile short: hold_target_s %r" % (r.events[-1:],))
        p = subprocess.run([os.path.join(BIN, "rollmatd"), "--http", "127.0.0.1:0", "--profile",
                            "nonesuch", "--dir", d.dir, "--socket", d.sock + "2"],
                           capture_output=True, text=True, timeout=10)
        if p.returncode != 2 or "nonesuch" not in p.stderr:
            fail("--profile nonesuch: exit %d, %r" % (p.returncode, p.stderr))
        print("security: 403 without the token, cookie set, traversal/encoded/long refused")
    finally:
        d.cleanup()


def case_clients():
    d = Daemon()
    try:
        readers = [EventReader(d.host, d.port) for _ in range(50)]
        # One more that never reads, with a small receive buffer: it must be
        # dropped, and nobody else may notice.
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect((d.host, d.port))
        stalled.sendall(("GET /events HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (
            d.host, d.port)).encode())
        d.control("start", "calf-left")
        stop = time.time() + 60
        done = threading.Event()

        def pump(r):
            while not done.is_set() and time.time() < stop and not r.closed:
                r.pump(0.5)

        threads = [threading.Thread(target=pump, args=(r,)) for r in readers]
        for t in threads:
            t.start()
        wait_session_end(d)
        time.sleep(1.0)
        done.set()
        for t in threads:
            t.join()
        for r in readers:
            r.close()
        stalled.close()
        rec = d.recording()
        if "was dropped" not in d.log():
            fail("the client that stopped reading was not dropped:\n" + d.log())
        info = subprocess.run([ROLLMAT, "info", rec], capture_output=True, text=True, check=True)
        doc = analyze(rec)
        if doc["frames_dropped"] != 0:
            fail("the recording dropped %d frames with 50 clients:\n%s" % (
                doc["frames_dropped"], info.stdout))
        counts = [sum(1 for _, ev in r.events if ev["state"] != "idle") for r in readers]
        expect = 10 * doc["duration_s"]
        if min(counts) < 0.8 * expect:
            fail("a client got only %d events in %.0f s" % (min(counts), doc["duration_s"]))
        print("clients: 50 streams, %d frames, 0 dropped, events per client %d-%d" % (
            doc["frames"], min(counts), max(counts)))
    finally:
        d.cleanup()


if __name__ == "__main__":
    {"stream": case_stream, "security": case_security, "clients": case_clients}[sys.argv[1]]()
