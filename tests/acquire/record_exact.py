"""The recording writer compresses /frames chunks itself (shuffle +
libdeflate on its compression threads, written with H5Dwrite_chunk,
docs/recording.md): the file must hold exactly what HDF5's own shuffle +
deflate filters would. A noisy capture (make_capture --noise 1.5, two
corrupted frames, a last chunk of 23 frames) recorded by `rollmat record`
at --compression 1, 6 and 0 is compared with

- the capture itself, decoded by record_cli's independent decoder: frames,
  /t, /seq and the loss counters;
- a reference file that h5py writes from the same frames through HDF5's
  filter pipeline, with the same chunk dims and filters: equal data, and
  `h5dump -p` shows the same filters and chunk dims for /frames;
- every stored chunk read raw (read_direct_chunk), inflated by Python's zlib
  and unshuffled here: zlib's format, HDF5's byte shuffle, and the frames
  past the end of the last chunk as HDF5's fill value 0.
"""
import os
import re
import subprocess
import tempfile
import zlib

import h5py
import numpy as np

from record_cli import decode_capture, run

BIN = os.environ["ROLLMAT_BIN_DIR"]
FRAMES, ROWS, COLS, CHUNK = 1273, 64, 32, 50
BAD = (7, 555)


def h5dump_layout(path):
    """The CHUNKED line and the FILTERS block of /frames from `h5dump -p`."""
    out = subprocess.run(["h5dump", "-p", "-H", "-d", "/frames", path], check=True,
                         capture_output=True, text=True).stdout
    chunked = re.search(r"CHUNKED \([^)]*\)", out)
    filters = re.search(r"FILTERS \{(.*?)\n\s*\}", out, re.S)
    assert chunked and filters, out
    return chunked.group(0), " ".join(filters.group(1).split())


def write_reference(path, frames, t, seq, level):
    """What HDF5's filter pipeline stores for the same data."""
    filters = dict(shuffle=True, compression="gzip", compression_opts=level) if level else {}
    with h5py.File(path, "w", libver=("v110", "v110")) as f:
        f.create_dataset("frames", data=frames, chunks=(CHUNK, ROWS, COLS),
                         maxshape=(None, ROWS, COLS), **filters)
        f["t"] = t
        f["seq"] = seq


def check_raw_chunks(dset, want, level):
    """Each chunk as stored: zlib of the shuffled chunk (or the plain
    little-endian counts at level 0), zero-padded past the last frame."""
    n = CHUNK * ROWS * COLS
    for k in range(0, len(want), CHUNK):
        mask, raw = dset.id.read_direct_chunk((k, 0, 0))
        assert mask == 0, f"chunk at {k}: filter mask {mask}"
        block = np.zeros((CHUNK, ROWS, COLS), dtype=np.uint16)
        block[:len(want) - k] = want[k:k + CHUNK]
        if level:
            plain = np.frombuffer(zlib.decompress(raw), dtype=np.uint8)
            assert plain.size == 2 * n, f"chunk at {k} inflates to {plain.size} bytes"
            got = plain[:n].astype(np.uint16) | (plain[n:].astype(np.uint16) << 8)
        else:
            got = np.frombuffer(raw, dtype="<u2")
        assert np.array_equal(got.reshape(block.shape), block), f"chunk at {k} differs"


def main():
    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "noisy.rmw")
        subprocess.run([os.path.join(BIN, "make_capture"), "--noise", "1.5", cap, str(FRAMES),
                        str(ROWS), str(COLS), "100", *map(str, BAD)], check=True)
        rows, cols, decoded = decode_capture(cap)
        assert (rows, cols, len(decoded)) == (ROWS, COLS, FRAMES - len(BAD))
        want = np.stack([counts for _, _, counts in decoded])
        want_seq = np.array([s for s, _, _ in decoded], dtype=np.uint64)
        want_t = np.array([(t_us - decoded[0][1]) * 1e-6 for _, t_us, _ in decoded])
        # The noise is there: neighbouring frames' quiet sensels differ.
        assert np.count_nonzero(want[1:] != want[:-1]) > want[1:].size // 2

        for level in (1, 6, 0):
            out = os.path.join(tmp, f"rec-{level}.h5")
            res = run("--device", "file:" + cap, "-o", out, "--compression", str(level))
            assert res.returncode == 0, res.stderr
            ref = os.path.join(tmp, f"ref-{level}.h5")
            write_reference(ref, want, want_t, want_seq, level)
            with h5py.File(out, "r") as f, h5py.File(ref, "r") as r:
                frames = f["frames"]
                assert frames.shape == want.shape, frames.shape
                assert np.array_equal(frames[:], want), f"level {level}: frames differ"
                assert np.array_equal(frames[:], r["frames"][:])
                assert np.array_equal(f["seq"][:], want_seq)
                assert np.array_equal(f["seq"][:], r["seq"][:])
                assert np.abs(f["t"][:] - want_t).max() < 1e-9
                a = f.attrs
                assert (int(a["crc_errors"]), int(a["frames_dropped"])) == (2, 2)
                assert int(a["bytes_skipped"]) == 2 * (16 + 2 * ROWS * COLS)
                assert int(a["complete"]) == 1
                assert len(f["events"]) == 0
                assert frames.chunks == r["frames"].chunks == (CHUNK, ROWS, COLS)
                assert (frames.compression, frames.shuffle) == (
                    ("gzip", True) if level else (None, False))
                assert frames.compression_opts == (level if level else None)
                check_raw_chunks(frames, want, level)
                if level:
                    size, ref_size = frames.id.get_storage_size(), r["frames"].id.get_storage_size()
                    print(f"level {level}: {want.nbytes} bytes of counts, {size} stored "
                          f"(HDF5's zlib: {ref_size})")
            layout, ref_layout = h5dump_layout(out), h5dump_layout(ref)
            assert layout == ref_layout, (layout, ref_layout)
            expect = ("PREPROCESSING SHUFFLE COMPRESSION DEFLATE { LEVEL %d }" % level
                      if level else "NONE")
            assert layout == (f"CHUNKED ( {CHUNK}, {ROWS}, {COLS} )", expect), layout
    print("all checks passed")


if __name__ == "__main__":
    main()
