#!/usr/bin/env python3
"""Read a rollmat recording with h5py and numpy: convert its raw counts to
kPa with the calibration stored in it, compute the per-frame force, contact
area and contact-mean pressure the way `rollmat analyze --frames-csv` does,
and plot the session's peak-pressure map and force curve.

    python3 read_recording.py SESSION.h5 OUT_PREFIX

writes OUT_PREFIX-map.png, OUT_PREFIX-force.png and OUT_PREFIX-frames.csv
(t, force_n, contact_area_cm2, mean_kpa). docs/recording.md describes the
file; this script needs nothing from rollmat itself.
"""
import sys

import h5py
import numpy as np


def to_kpa(frames, cal):
    """Counts -> kPa, as the calibration's `formula` attribute says."""
    offset, gain = cal["offset"][:], cal["gain"][:]
    dead = cal["dead"][:] != 0
    x = gain * (frames.astype(np.float64) - offset)
    if cal.attrs["curve"] == "power":
        kpa = cal.attrs["curve_a"] * np.power(np.maximum(x, 0), cal.attrs["curve_b"])
    else:  # a table of (x, kPa), extrapolated linearly past its last point
        table = cal["curve_table"][:]
        kpa = np.interp(x, table[:, 0], table[:, 1])
        slope = (table[-1, 1] - table[-2, 1]) / (table[-1, 0] - table[-2, 0])
        kpa = np.where(x > table[-1, 0], table[-1, 1] + slope * (x - table[-1, 0]), kpa)
    return np.where((x > 0) & ~dead, kpa, 0.0), x


def noise_floor_x(x, dead):
    """Contact is a pressure above the noise: 5 sigma of the equilibrated
    counts, sigma from the readings below zero (docs/scoring.md)."""
    below = -x[:, ~dead][x[:, ~dead] < 0]
    return 5 * 1.4826 * np.median(below) if below.size else 0.0


def main():
    path, prefix = sys.argv[1], sys.argv[2]
    with h5py.File(path, "r") as f:
        t = f["t"][:]
        frames = f["frames"]
        rows, cols = frames.shape[1:]
        row_mm = frames.dims[1][0][:]  # the mm scales of the grid
        col_mm = frames.dims[2][0][:]
        pitch_mm2 = float(f.attrs["pitch_row_mm"]) * float(f.attrs["pitch_col_mm"])
        cal = f["calibration"]
        dead = cal["dead"][:] != 0
        force = np.empty(len(t))
        area = np.empty(len(t))
        mean = np.full(len(t), np.nan)
        peak_map = np.zeros((rows, cols))
        floor = None
        for start in range(0, len(t), 1000):  # a block at a time: any length
            kpa, x = to_kpa(frames[start:start + 1000], cal)
            if floor is None:
                floor = noise_floor_x(x, dead)
            contact = (x > floor) & ~dead & (kpa > 0)
            load = np.where(contact, kpa, 0.0)
            n = contact.sum(axis=(1, 2))
            block = slice(start, start + len(kpa))
            force[block] = load.sum(axis=(1, 2)) * pitch_mm2 * 1e-3  # kPa x mm^2 = mN
            area[block] = n * pitch_mm2 / 100.0
            with np.errstate(invalid="ignore", divide="ignore"):
                mean[block] = np.where(n > 0, load.sum(axis=(1, 2)) / n, np.nan)
            peak_map = np.maximum(peak_map, kpa.max(axis=0))
        events = [(e["t"], e["kind"].decode(), e["label"].decode()) for e in f["events"][:]]

    np.savetxt(prefix + "-frames.csv", np.column_stack([t, force, area, mean]), delimiter=",",
               header="t,force_n,contact_area_cm2,mean_kpa", comments="", fmt="%.6g")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4, 7))
    im = ax.imshow(peak_map, origin="lower", cmap="YlOrRd", aspect="equal",
                   extent=[col_mm[0], col_mm[-1], row_mm[0], row_mm[-1]])
    fig.colorbar(im, label="peak pressure (kPa)")
    ax.set_xlabel("across the mat (mm)")
    ax.set_ylabel("along the roll axis (mm)")
    fig.tight_layout()
    fig.savefig(prefix + "-map.png", dpi=80)
    fig, ax = plt.subplots(figsize=(9, 3))
    ax.plot(t, force, lw=1)
    for when, kind, label in events:
        if kind == "segment_start":
            ax.axvline(when, color="grey", ls=":")
            ax.text(when, ax.get_ylim()[1] * 0.95, " " + label, va="top", fontsize=8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("force (N)")
    fig.tight_layout()
    fig.savefig(prefix + "-force.png", dpi=80)


main()
