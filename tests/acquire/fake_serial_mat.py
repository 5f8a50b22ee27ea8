"""A fake serial mat on a pseudo-terminal, speaking the serial transport of
shared/spec/wire-protocol.md from the device's side, with the faults of a
real Arduino-class mat: it resets when the port is opened (a bootloader
that prints garbage and ignores commands for a while), it garbles bytes,
loses frames, and it can disappear and come back as a new device node.

The pty's slave is reached through a symlink (like udev's /dev/rollmat-mat),
which is removed while the mat is away and pointed at the new /dev/pts/N
when it is back."""
import os
import select
import struct
import threading
import time
import tty
import zlib

ROWS, COLS = 16, 16
FRAME_SIZE = 16 + 2 * ROWS * COLS + 4
BOOT_S = 1.2  # the "bootloader": commands are ignored this long after open


def counts(epoch, seq):
    """The pattern a frame carries: a function of its epoch and seq."""
    return [(seq * 7 + r * 31 + c * 3 + epoch * 500) % 1024
            for r in range(ROWS) for c in range(COLS)]


def encode_frame(seq, t_us, values, flags=0):
    body = b"RMF1" + struct.pack("<IIBBH", seq & 0xFFFFFFFF, t_us & 0xFFFFFFFF, ROWS, COLS,
                                 flags) + struct.pack("<%dH" % len(values), *values)
    return body + struct.pack("<I", zlib.crc32(body))


def info_reply(rate_hz, serial=b"FAKE0001"):
    block = struct.pack("<HBBHHBBHHH16s16s16s", 1, ROWS, COLS, 20000, 20000, 10, 0, 200,
                        rate_hz, 0, serial, b"fake-serial", b"1.0")
    assert len(block) == 64
    head = b"RMI1" + block
    return head + struct.pack("<I", zlib.crc32(head))


class FakeMat(threading.Thread):
    """plan: per epoch (one appearance of the device), a dict with
    frames (how many to stream after S), truncate {seq: bytes removed from
    the middle}, omit {seq, ...} (frames lost in the device: the next one
    carries OVERRUN), away_s (how long the device is gone after the epoch's
    last frame; None: it stays, silent), serial (what its info block says)."""

    def __init__(self, link, plan):
        super().__init__(daemon=True)
        self.link, self.plan = link, plan
        self.commands = []  # (epoch, command byte, answered)
        self.sent = []      # (epoch, seq) of every intact frame sent
        self.done = threading.Event()
        self.failed = None
        self.quit = False
        self.rate = 100
        self.master = None
        self._appear()

    def _appear(self):
        master, slave = os.openpty()
        tty.setraw(slave)  # kept while no one has the slave open
        name = os.ttyname(slave)
        os.close(slave)    # the master alone keeps /dev/pts/N; POLLHUP until opened
        tmp = self.link + ".new"
        os.symlink(name, tmp)
        os.replace(tmp, self.link)
        self.master = master

    def _disappear(self):
        os.unlink(self.link)
        os.close(self.master)
        self.master = None

    def _write(self, data):
        view = memoryview(data)
        while view:
            n = os.write(self.master, view)
            view = view[n:]

    def run(self):
        try:
            for epoch, step in enumerate(self.plan):
                self._epoch(epoch, step)
                if step.get("away_s") is None:
                    break
                time.sleep(0.3)  # the last frames reach the host before the node goes
                self._disappear()
                time.sleep(step["away_s"])
                self._appear()
        except Exception as e:  # reported by the test, not lost in a thread
            self.failed = repr(e)
        self.done.set()

    def _epoch(self, epoch, step):
        opened, boot_until = False, 0.0
        streaming, seq, sent, t0 = False, 0, 0, 0.0
        pending = b""
        while not self.quit:
            now = time.monotonic()
            if streaming and sent >= step["frames"]:
                streaming = False
                if step.get("away_s") is not None:
                    return
                self.done.set()  # it stays, silent, until the test ends
            due = t0 + seq / self.rate if streaming else now + 0.01
            p = select.poll()
            p.register(self.master, select.POLLIN)
            ev = p.poll(max(0, (due - now) * 1000))
            hup = any(e & select.POLLHUP for _, e in ev) and not any(
                e & select.POLLIN for _, e in ev)
            if hup:  # nobody has the port open
                opened, streaming = False, False
                time.sleep(0.01)
                continue
            if not opened:  # the host opened the port: the board resets
                opened, boot_until = True, time.monotonic() + BOOT_S
                self._write(b"\x00\xfe\xffboot v8\r\nRMI1garbage")
            if ev:
                try:
                    pending += os.read(self.master, 256)
                except OSError:
                    continue
            while pending:
                cmd, booting = pending[0:1], time.monotonic() < boot_until
                if cmd == b"R":
                    if len(pending) < 3:
                        break
                    if not booting:
                        self.rate = struct.unpack_from("<H", pending, 1)[0]
                    pending = pending[3:]
                else:
                    pending = pending[1:]
                self.commands.append((epoch, cmd.decode("latin-1"), not booting))
                if booting:
                    continue
                if cmd == b"I":
                    self._write(b"\x13junk before the reply RMF1" +
                                info_reply(self.rate, step.get("serial", b"FAKE0001")))
                elif cmd == b"S":
                    streaming, seq, sent, t0 = True, 0, 0, time.monotonic()
                elif cmd == b"X":
                    streaming = False
            if streaming and time.monotonic() >= t0 + seq / self.rate:
                self._send_frame(epoch, step, seq)
                seq += 1
                sent += 1

    def _send_frame(self, epoch, step, seq):
        if seq in step.get("omit", ()):
            return
        flags = 1 if seq - 1 in step.get("omit", ()) else 0
        frame = encode_frame(seq, seq * 1000000 // self.rate + 12345, counts(epoch, seq), flags)
        cut = step.get("truncate", {}).get(seq, 0)
        if cut:
            mid = len(frame) // 2
            frame = frame[:mid] + frame[mid + cut:]
        else:
            self.sent.append((epoch, seq))
        self._write(frame)

    def stop(self):
        self.quit = True
        self.join(5)
        if self.master is not None:
            os.close(self.master)
