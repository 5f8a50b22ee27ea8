"""Helpers of the live tests: start rollmatd --http on port 0 in a
temporary folder, read its event stream with plain sockets, and drive a
headless Chromium over the DevTools protocol on a pipe (no websocket
library, no port)."""
import base64
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("ROLLMAT_BIN_DIR", "build-dev/bin")
ROLLMAT = os.environ.get("ROLLMAT", os.path.join(BIN, "rollmat"))
HERE = os.path.dirname(os.path.abspath(__file__))

# live.md's event, field for field: name -> the JSON types it may take.
NUM, STR, NULL = (int, float), str, type(None)
EVENT_FIELDS = {
    "t": NUM + (NULL,), "session": (STR, NULL), "muscle": (STR, NULL), "state": (STR,),
    "tool": (STR, NULL), "position_mm": NUM + (NULL,), "speed_mm_s": NUM + (NULL,),
    "speed_zone": (STR, NULL), "hold_s": NUM, "hold_target_s": (list,),
    "force_n": NUM + (NULL,), "mean_kpa": NUM + (NULL,), "cue": (STR, NULL),
}
STATES = {"idle", "off", "rolling", "paused", "hold"}
ZONES = {"slow", "brisk", "too_fast", None}


def fail(msg):
    print("FAIL: " + msg)
    raise SystemExit(1)


class Daemon:
    """rollmatd on a capture of PLAN replayed in real time, --http ADDR:0."""

    def __init__(self, plan="hold.plan", addr="127.0.0.1", extra=()):
        self.dir = tempfile.mkdtemp(prefix="rollmat-live-")
        self.capture = os.path.join(self.dir, "session.rmw")
        subprocess.run([ROLLMAT, "sim", "--plan", os.path.join(HERE, plan), "-o",
                        self.capture], check=True, stdout=subprocess.DEVNULL)
        self.sock = os.path.join(self.dir, "s.sock")
        self.out = open(os.path.join(self.dir, "out"), "w+")
        self.err = open(os.path.join(self.dir, "err"), "w+")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "rollmatd"), "--device", "file:" + self.capture, "--realtime",
             "--dir", os.path.join(self.dir, "rec"), "--socket", self.sock,
             "--http", addr + ":0", *extra], stdout=self.out, stderr=self.err)
        deadline = time.time() + 20
        self.url = None
        while time.time() < deadline and not self.url:
            time.sleep(0.1)
            self.out.seek(0)
            m = re.search(r"live page: (http://\S+)", self.out.read())
            if m:
                self.url = m.group(1)
            if self.proc.poll() is not None:
                break
        if not self.url:
            self.stop()
            fail("rollmatd printed no URL:\n" + self.log())
        m = re.match(r"http://([\d.]+):(\d+)/(\?token=([0-9a-f]{32}))?$", self.url)
        if not m:
            fail("bad URL " + self.url)
        self.host, self.port, self.token = m.group(1), int(m.group(2)), m.group(4)

    def control(self, *words):
        r = subprocess.run([ROLLMAT, *words, "--socket", self.sock], capture_output=True,
                           text=True)
        if r.returncode != 0:
            fail("rollmat %s: %s" % (" ".join(words), r.stdout + r.stderr))
        return r.stdout.strip()

    def log(self):
        self.err.seek(0)
        return self.err.read()

    def recording(self):
        rec = os.path.join(self.dir, "rec")
        files = sorted(f for f in os.listdir(rec) if f.endswith(".h5"))
        if len(files) != 1:
            fail("expected one recording, found %s" % files)
        return os.path.join(rec, files[0])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                fail("rollmatd did not stop on SIGTERM")
        return self.proc.returncode

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def request(host, port, target, headers=None, method="GET", timeout=10):
    """One raw HTTP/1.1 request (the target sent byte for byte): status,
    headers (lower-case names), body."""
    s = socket.create_connection((host, port), timeout=timeout)
    hdrs = {"Host": "%s:%d" % (host, port), "Connection": "close"}
    hdrs.update(headers or {})
    s.sendall(("%s %s HTTP/1.1\r\n" % (method, target)).encode("latin-1") +
              "".join("%s: %s\r\n" % kv for kv in hdrs.items()).encode() + b"\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    h = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        h[k.strip().lower()] = v.strip()
    return status, h, body


class EventReader:
    """An /events client on a raw socket: parse() returns the events
    received so far, each with the local receive time."""

    def __init__(self, host, port, query="", headers=None):
        self.s = socket.create_connection((host, port), timeout=10)
        hdrs = {"Host": "%s:%d" % (host, port), "Accept": "text/event-stream"}
        hdrs.update(headers or {})
        self.s.sendall(("GET /events%s HTTP/1.1\r\n" % query).encode() +
                       "".join("%s: %s\r\n" % kv for kv in hdrs.items()).encode() + b"\r\n")
        self.buf = b""
        self.events = []
        self.closed = False

    def pump(self, seconds):
        end = time.time() + seconds
        while time.time() < end and not self.closed:
            r, _, _ = select.select([self.s], [], [], max(0, min(0.2, end - time.time())))
            if not r:
                continue
            chunk = self.s.recv(65536)
            if not chunk:
                self.closed = True
                break
            now = time.time()
            self.buf += chunk
            while b"\n\n" in self.buf:
                block, self.buf = self.buf.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    # chunked transfer framing: skip the size lines
                    line = line.strip(b"\r")
                    if line.startswith(b"data: "):
                        self.events.append((now, json.loads(line[6:].decode())))

    def close(self):
        self.s.close()


def check_event(ev):
    """Holds one event to live.md: exactly its fields, each of its type."""
    if set(ev) != set(EVENT_FIELDS):
        fail("event fields %s differ from live.md's: missing %s, extra %s" % (
            sorted(ev), sorted(set(EVENT_FIELDS) - set(ev)), sorted(set(ev) - set(EVENT_FIELDS))))
    for k, types in EVENT_FIELDS.items():
        if not isinstance(ev[k], types) or isinstance(ev[k], bool):
            fail("event field %s = %r has the wrong type" % (k, ev[k]))
    if ev["state"] not in STATES or ev["speed_zone"] not in ZONES:
        fail("bad state or zone in %r" % ev)
    if len(ev["hold_target_s"]) != 2 or not all(isinstance(x, NUM) for x in ev["hold_target_s"]):
        fail("hold_target_s is not [min, max]: %r" % ev)
    if ev["state"] == "rolling" and ev["speed_zone"] is None:
        fail("rolling without a speed zone: %r" % ev)


class Browser:
    """Headless Chromium driven over --remote-debugging-pipe (fd 3 in, fd 4
    out, messages ending in NUL)."""

    def __init__(self, chromium, workdir):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Move the child's ends out of the way of 3 and 4 first; Python's
        # own descriptors are not inherited (PEP 446), so close_fds=False
        # passes on only what child() dup2()s (pass_fds would close 3 and 4
        # again after it).
        a, b = os.dup(to_chrome_r) + 100, os.dup(from_chrome_w) + 100
        os.dup2(to_chrome_r, a)
        os.dup2(from_chrome_w, b)

        def child():
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.errlog = open(os.path.join(workdir, "chromium.err"), "w+")
        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--no-first-run", "--disable-component-update",
             "--disable-sync", "--disable-default-apps", "--remote-debugging-pipe",
             "--user-data-dir=" + tempfile.mkdtemp(dir=workdir), "about:blank"],
            close_fds=False, preexec_fn=child, stdout=subprocess.DEVNULL, stderr=self.errlog)
        for fd in (to_chrome_r, from_chrome_w, a, b):
            os.close(fd)
        self.buf = b""
        self.next_id = 0
        self.session = None
        self.errors = []
        tid = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": tid, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.call(domain + ".enable")

    def _read(self, timeout):
        end = time.time() + timeout
        while b"\0" not in self.buf:
            left = end - time.time()
            r, _, _ = select.select([self.from_chrome], [], [], max(0, left))
            if not r:
                fail("chromium did not answer")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                fail("chromium closed its pipe:\n" + self.log())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read(timeout)
            if m.get("id") == self.next_id:
                if "error" in m:
                    fail("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self._note(m)

    def _note(self, m):
        meth, p = m.get("method"), m.get("params", {})
        if meth == "Runtime.exceptionThrown":
            self.errors.append(json.dumps(p.get("exceptionDetails", {}))[:300])
        elif meth == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            self.errors.append("console.%s: %s" % (p["type"], json.dumps(p.get("args"))[:300]))
        elif meth == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            self.errors.append("log: " + p["entry"].get("text", "")[:300])

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            fail("page script failed: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def log(self):
        self.errlog.seek(0)
        return self.errlog.read()[-3000:]

    def close(self):
        try:
            os.write(self.to_chrome, json.dumps({"id": 0, "method": "Browser.close"}).encode()
                     + b"\0")
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
