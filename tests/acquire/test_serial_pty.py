"""`rollmat record --device serial:PATH` against a fake mat on a
pseudo-terminal (fake_serial_mat.py), no simulator: the handshake of the
spec (X, I retried through a board's reset garbage, S), frames bit for bit,
the loss counters of garbled and lost frames, and an unplug and replug
(the device node disappears and comes back as another /dev/pts/N) that the
recording survives with its disconnect and reconnect events. Also the
spec's usage errors, a missing port, and a port where nothing answers.
`daemon`: rollmatd waits for a serial mat that is not there yet, records a
session through an unplug and replug, and keeps the mat between sessions.

usage: test_serial_pty.py record|daemon"""
import os
import signal
import subprocess
import sys
import tempfile
import time

import json
import socket

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_serial_mat as fake  # noqa: E402

ROLLMAT = os.environ["ROLLMAT"]
ROLLMATD = os.path.join(os.environ["ROLLMAT_BIN_DIR"], "rollmatd")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def expect_error(args, code, text):
    r = subprocess.run([ROLLMAT, "record", *args], capture_output=True, text=True, timeout=30)
    last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
    check(r.returncode == code and last.startswith("rollmat: ") and text in last,
          "%r: exit %d, want %d with %r: %r" % (args, r.returncode, code, text, r.stderr))


def test_errors(tmp):
    out = os.path.join(tmp, "x.h5")
    expect_error(["--device", "serial:", "-o", out], 2, "expected serial:PATH[@BAUD]")
    expect_error(["--device", "serial:/dev/ttyACM0@fast", "-o", out], 2, "baud rate")
    expect_error(["--device", "serial:/dev/ttyACM0@12", "-o", out], 2, "baud rate")
    expect_error(["--device", "serial:" + os.path.join(tmp, "nothing"), "-o", out], 1,
                 "no such device")
    # A terminal where no mat answers: the info request is retried, then
    # given up with a message; no recording is left behind.
    master, slave = os.openpty()
    try:
        expect_error(["--device", "serial:" + os.ttyname(slave) + "@115200", "-o", out], 1,
                     "no answer to the info request")
    finally:
        os.close(master)
        os.close(slave)
    check(not os.path.exists(out), "a failed open left %s" % out)


def test_record(tmp):
    link = os.path.join(tmp, "rollmat-mat")
    plan = [
        # Epoch 0: frame 20 loses 10 bytes on the line, frame 50 is lost in
        # the device (51 carries OVERRUN); then the mat is unplugged.
        {"frames": 120, "truncate": {20: 10}, "omit": {50}, "away_s": 1.5},
        # Epoch 1, after the replug: frame 30 loses its last-but-middle byte.
        {"frames": 100, "truncate": {30: 1}, "away_s": None},
    ]
    mat = fake.FakeMat(link, plan)
    mat.start()
    out = os.path.join(tmp, "serial.h5")
    rec = subprocess.Popen([ROLLMAT, "record", "--device", "serial:" + link, "-o", out],
                           stderr=subprocess.PIPE, text=True,
                           env=dict(os.environ, ROLLMAT_LOG="info"))
    try:
        check(mat.done.wait(40), "the fake mat never finished its plan")
        check(mat.failed is None, "fake mat: %s" % mat.failed)
        time.sleep(0.3)  # the last frames reach the file
        rec.send_signal(signal.SIGINT)
        _, err = rec.communicate(timeout=30)
    finally:
        if rec.poll() is None:
            rec.kill()
        mat.stop()
    check(rec.returncode == 0, "record exit %d: %s" % (rec.returncode, err))

    # The handshake, in each epoch: X first, I until the board has booted
    # (the first one falls into its reset), then S.
    for epoch in (0, 1):
        cmds = [(c, ok) for e, c, ok in mat.commands if e == epoch]
        check(cmds and cmds[0][0] == "X", "epoch %d: first command %r" % (epoch, cmds[:1]))
        infos = [ok for c, ok in cmds if c == "I"]
        check(len(infos) >= 2 and not infos[0] and infos[-1],
              "epoch %d: info requests (answered?) %r" % (epoch, infos))
        starts = [i for i, (c, ok) in enumerate(cmds) if c == "S" and ok]
        check(len(starts) == 1 and all(c != "I" for c, _ in cmds[starts[0]:]),
              "epoch %d: commands %r" % (epoch, cmds))

    with h5py.File(out, "r") as f:
        a = f.attrs
        seq = f["seq"][:]
        frames = f["frames"][:]
        t = f["t"][:]
        kinds = [e["kind"].decode() for e in f["events"][:]]
        got = (int(a["crc_errors"]), int(a["frames_dropped"]), int(a["bytes_skipped"]),
               int(a["disconnects"]), int(a["complete"]))
    # 120 + 100 frames, minus two garbled and one lost in the device.
    check(len(seq) == len(mat.sent) == 217, "frames: %d in file, %d sent intact"
          % (len(seq), len(mat.sent)))
    # /seq goes on across the restart (docs/session-pipeline.md): epoch 1's
    # seq 0 follows epoch 0's last frame, 119.
    want_seq = [s + (120 if e else 0) for e, s in mat.sent]
    check(np.array_equal(seq, want_seq), "seq differs: %r" % seq)
    for i, (epoch, s) in enumerate(mat.sent):
        want = np.array(fake.counts(epoch, s), dtype=np.uint16).reshape(fake.ROWS, fake.COLS)
        if not np.array_equal(frames[i], want):
            fail("frame %d (epoch %d seq %d) differs" % (i, epoch, s))
    # A garbled frame: one CRC error, the bytes up to the next magic
    # skipped, its seq missing; the lost one: its seq missing.
    skipped = (fake.FRAME_SIZE - 10 - 4) + (fake.FRAME_SIZE - 1 - 4)
    check(got == (2, 3, skipped, 1, 1),
          "counters (crc_errors, frames_dropped, bytes_skipped, disconnects, complete) %r, "
          "want %r" % (got, (2, 3, skipped, 1, 1)))
    check(np.all(np.diff(t) > 0), "/t not strictly increasing")
    check(kinds.count("disconnect") == 1 and kinds.count("reconnect") == 1
          and kinds.index("disconnect") < kinds.index("reconnect"), "events %r" % kinds)
    check("the mat went away" in err and "the mat is back" in err, "log: %s" % err)


def test_other_mat(tmp):
    """A different mat plugged in where the session's mat was: never taken
    for it; the session stays disconnected, and says why once."""
    link = os.path.join(tmp, "other-mat")
    mat = fake.FakeMat(link, [{"frames": 50, "away_s": 0.5},
                              {"frames": 50, "away_s": None, "serial": b"OTHER-9"}])
    mat.start()
    out, log_path = os.path.join(tmp, "other.h5"), os.path.join(tmp, "other.log")
    with open(log_path, "w") as log:
        rec = subprocess.Popen([ROLLMAT, "record", "--device", "serial:" + link, "-o", out],
                               stderr=log, env=dict(os.environ, ROLLMAT_LOG="info"))
    try:
        deadline = time.monotonic() + 30
        while "another mat" not in open(log_path).read():
            check(time.monotonic() < deadline, "no word of the other mat: " +
                  open(log_path).read())
            time.sleep(0.1)
        time.sleep(1.2)  # two more attempts, which stay quiet
        rec.send_signal(signal.SIGINT)
        rec.wait(30)
    finally:
        if rec.poll() is None:
            rec.kill()
        mat.stop()
    text = open(log_path).read()
    check(rec.returncode == 0, "record exit %d: %s" % (rec.returncode, text))
    check(text.count("another mat (serial OTHER-9, not FAKE0001)") == 1, "log: " + text)
    with h5py.File(out, "r") as f:
        kinds = [e["kind"].decode() for e in f["events"][:]]
        check(len(f["seq"]) == 50 and int(f.attrs["disconnects"]) == 1
              and kinds == ["disconnect"], "%d frames, events %r" % (len(f["seq"]), kinds))


def status(sock):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(sock)
        s.sendall(b"status\n")
        reply = s.makefile("rb").readline().decode()
    except OSError:
        return None
    finally:
        s.close()
    return json.loads(reply[3:]) if reply.startswith("ok {") else None


def wait_for(sock, what, pred, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = status(sock)
        if st is not None and pred(st):
            return st
        time.sleep(0.05)
    fail("timed out waiting for " + what + ": " + repr(status(sock)))


def client(sock, *args):
    r = subprocess.run([ROLLMAT, *args, "--socket", sock], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 0, "rollmat %s: %s" % (" ".join(args), r.stderr))
    return r.stdout.strip()


def test_daemon(tmp):
    link, sock = os.path.join(tmp, "rollmat-mat"), os.path.join(tmp, "ctl.sock")
    sessions = os.path.join(tmp, "sessions")
    log = open(os.path.join(tmp, "rollmatd.log"), "w+")
    d = subprocess.Popen([ROLLMATD, "--device", "serial:" + link, "--dir", sessions, "--socket",
                          sock], stdout=log, stderr=log)
    mat = None
    try:
        # No mat yet: the daemon waits for one, as for usb.
        wait_for(sock, "waiting", lambda st: st["state"] == "waiting")
        mat = fake.FakeMat(link, [{"frames": 400, "away_s": 1.5},
                                  {"frames": 150, "away_s": None}])
        mat.start()
        wait_for(sock, "the mat", lambda st: st["state"] == "idle" and st["mat"]
                 and st["mat"]["serial"] == "FAKE0001" and st["mat"]["connected"])
        name = client(sock, "start", "calf-left")
        wait_for(sock, "the unplug", lambda st: st["state"] == "disconnected")
        wait_for(sock, "the replug", lambda st: st["state"] == "recording"
                 and st["session"]["disconnects"] == 1)
        check(mat.done.wait(30), "the fake mat never finished its plan")
        time.sleep(0.3)
        client(sock, "stop")
        d.send_signal(signal.SIGTERM)
        check(d.wait(30) == 0, "rollmatd exit %r" % d.returncode)
    finally:
        if d.poll() is None:
            d.kill()
        if mat:
            mat.stop()
    log.seek(0)
    text = log.read()
    check(mat.failed is None, "fake mat: %s" % mat.failed)
    with h5py.File(os.path.join(sessions, os.path.basename(name)), "r") as f:
        a = f.attrs
        frames = f["frames"][:]
        kinds = [e["kind"].decode() for e in f["events"][:]]
        got = tuple(int(a[k]) for k in ("crc_errors", "frames_dropped", "bytes_skipped",
                                        "disconnects", "complete"))
    check(got == (0, 0, 0, 1, 1), "counters %r (%s)" % (got, text))
    check(kinds == ["segment_start", "disconnect", "reconnect", "segment_end"],
          "events %r" % kinds)
    # The session ends with every frame of the replugged mat, in order.
    want = np.array([fake.counts(1, s) for s in range(150)], dtype=np.uint16)
    check(len(frames) > 150 and np.array_equal(frames[-150:].reshape(150, -1), want),
          "the frames after the replug differ (%d frames)" % len(frames))


with tempfile.TemporaryDirectory() as tmp:
    if sys.argv[1:] == ["daemon"]:
        test_daemon(tmp)
    else:
        test_errors(tmp)
        test_record(tmp)
        test_other_mat(tmp)
print("ok")
