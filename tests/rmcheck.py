"""Shared pieces of the script tests: one list of failures per run, a
scratch folder removed whatever happens, and a recording whose writer was
killed mid-session. A test imports it after putting tests/ on sys.path."""
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile

import h5py

failures = []


def check(cond, what):
    """Records a failure and goes on, so one run reports every failure."""
    if not cond:
        failures.append(what)
        print("FAIL:", what)


@contextlib.contextmanager
def scratch(prefix):
    tmp = tempfile.mkdtemp(prefix=prefix)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def finish():
    """Exits 1 after any failure, else prints ok."""
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("ok")


def make_killed(make, path):
    """A SWMR recording whose writer (rm_test_make_recording) was killed
    once at least 30 frames were flushed."""
    proc = subprocess.Popen([make, path, "100000", "1", "10", "2000"])
    try:
        for _ in range(600):
            try:
                with h5py.File(path, "r", libver="latest", swmr=True) as f:
                    if f["frames"].shape[0] >= 30:
                        break
            except Exception:  # not created yet, or caught between writes
                pass
            subprocess.run(["sleep", "0.05"])
    finally:
        proc.kill()
        proc.wait()
