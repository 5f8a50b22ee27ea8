"""Running a command with its stderr on a real pty, for the tests of what
rollmat shows on a terminal (test_record_feedback.py, test_progress.py)."""
import fcntl
import os
import pty
import struct
import subprocess
import termios


def start(argv, cols=0):
    """Starts argv with stderr on a new pty (cols columns wide, 0: no size
    known); returns (process, master fd)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    return p, master


def read_rest(master):
    """Everything the other side writes until it closes the pty; closes it."""
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    return seen


def run(argv, timeout=120):
    """Runs argv to its end; returns (exit code, what it wrote, as text)."""
    p, master = start(argv)
    seen = read_rest(master)
    return p.wait(timeout=timeout), seen.decode()
