"""`rollmat record -o` never overwrites or follows a link (issue 12 item 5):
an existing output is refused with exit 1 and one line, and left as it was,
unless --force; a symbolic link is refused even with --force, its target
untouched; a recording that fails to start leaves no file behind."""
import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from rmcheck import check, finish, scratch  # noqa: E402

ROLLMAT = os.environ["ROLLMAT"]
def record(*args):
    return subprocess.run([ROLLMAT, "record", "-d", "sim", "-t", "0.3", *args],
                          capture_output=True, text=True, timeout=120)


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def refused(p, path, needle, what):
    lines = p.stderr.strip().splitlines()
    check(p.returncode == 1, f"{what}: exit {p.returncode}, expected 1 ({p.stderr.strip()})")
    check(len(lines) == 1 and lines[0].startswith(f"rollmat: {path}: ") and needle in lines[0],
          f"{what}: one line 'rollmat: {path}: ...{needle}...', got {lines}")


def main():
    with scratch("rollmat-record-out-") as tmp:
        out = os.path.join(tmp, "out.h5")
        p = record("-o", out)
        check(p.returncode == 0 and os.path.getsize(out) > 0, f"first record: {p.stderr}")
        before = digest(out)
        p = record("-o", out)
        refused(p, out, "exists", "existing output")
        check(digest(out) == before, "existing output unchanged")
        # --quiet is not --force (a merge once let one fall into the other).
        p = record("--quiet", "-o", out)
        refused(p, out, "exists", "existing output with --quiet")
        check(digest(out) == before, "existing output unchanged by --quiet")
        p = record("--force", "-o", out)
        check(p.returncode == 0, f"--force: exit {p.returncode} ({p.stderr.strip()})")

        # A link onto another file: refused, with or without --force.
        target = os.path.join(tmp, "precious.txt")
        with open(target, "w") as f:
            f.write("keep me\n")
        link = os.path.join(tmp, "link.h5")
        os.symlink(target, link)
        for extra in ([], ["--force"]):
            p = record(*extra, "-o", link)
            refused(p, link, "symbolic link", f"link {extra}")
            check(open(target).read() == "keep me\n", f"link {extra}: target untouched")
        dangling = os.path.join(tmp, "dangling.h5")
        os.symlink(os.path.join(tmp, "nowhere.h5"), dangling)
        p = record("-o", dangling)
        check(p.returncode == 1, f"dangling link: exit {p.returncode}")
        check(not os.path.exists(os.path.join(tmp, "nowhere.h5")), "dangling link not followed")

        # A device that cannot open: no empty file left as if recorded.
        never = os.path.join(tmp, "never.h5")
        p = subprocess.run([ROLLMAT, "record", "-d", f"file:{tmp}/missing.rmw", "-o", never],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode != 0 and not os.path.exists(never),
              f"failed start: exit {p.returncode}, left file: {os.path.exists(never)}")
        # An output directory that does not exist: one line naming the file.
        gone = os.path.join(tmp, "no-dir", "x.h5")
        p = record("-o", gone)
        refused(p, gone, "No such file", "missing directory")
    finish()


if __name__ == "__main__":
    main()
