#!/usr/bin/env Rscript
# Read a rollmat recording with hdf5r (Debian: r-cran-hdf5r): convert its raw
# counts to kPa with the calibration stored in it, compute the per-frame
# force, contact area and contact-mean pressure the way
# `rollmat analyze --frames-csv` does, and plot the session's peak-pressure
# map and force curve.
#
#     Rscript read_recording.R SESSION.h5 OUT_PREFIX
#
# writes OUT_PREFIX-map.png, OUT_PREFIX-force.png and OUT_PREFIX-frames.csv
# (t, force_n, contact_area_cm2, mean_kpa). hdf5r shows HDF5's dimensions in
# reverse order: /frames [N, rows, cols] is an R array [cols, rows, N].
suppressPackageStartupMessages(library(hdf5r))
args <- commandArgs(trailingOnly = TRUE)
path <- args[1]
prefix <- args[2]

f <- H5File$new(path, mode = "r")
t <- f[["t"]]$read()
frames <- f[["frames"]]
dims <- frames$dims # cols, rows, N
pitch_mm2 <- h5attr(f, "pitch_row_mm") * h5attr(f, "pitch_col_mm")
cal <- f[["calibration"]]
offset <- cal[["offset"]]$read() # [cols, rows], as one frame
gain <- cal[["gain"]]$read()
dead <- cal[["dead"]]$read() != 0

# Counts -> kPa, as the calibration's `formula` attribute says; x is the
# equilibrated count gain * (raw - offset).
curve <- h5attr(cal, "curve")
if (curve == "power") {
  curve_a <- h5attr(cal, "curve_a")
  curve_b <- h5attr(cal, "curve_b")
} else {
  tab <- cal[["curve_table"]]$read() # [2, K]: x in row 1, kPa in row 2
}
to_kpa <- function(x) {
  if (curve == "power") {
    kpa <- curve_a * pmax(x, 0)^curve_b
  } else {
    kpa <- approx(tab[1, ], tab[2, ], x, rule = 2)$y
    k <- ncol(tab)
    slope <- (tab[2, k] - tab[2, k - 1]) / (tab[1, k] - tab[1, k - 1])
    kpa <- ifelse(x > tab[1, k], tab[2, k] + slope * (x - tab[1, k]), kpa)
  }
  kpa[x <= 0] <- 0
  kpa
}

n <- length(t)
cells <- dims[1] * dims[2]
alive <- !as.vector(dead)
force <- numeric(n)
area <- numeric(n)
mean_kpa <- rep(NA_real_, n)
peak <- rep(0, cells)
floor_x <- NA
for (start in seq(1, n, by = 1000)) {
  end <- min(start + 999, n)
  # One column per frame: the sensels of a frame are a frame's cells in
  # the same order as offset, gain and dead.
  raw <- matrix(frames[, , start:end, drop = FALSE], nrow = cells)
  x <- (raw - as.vector(offset)) * as.vector(gain)
  if (is.na(floor_x)) {
    # Contact is a pressure above the noise: 5 sigma of the equilibrated
    # counts, sigma from the readings below zero (docs/scoring.md).
    below <- -x[alive & x < 0]
    floor_x <- if (length(below)) 5 * 1.4826 * median(below) else 0
  }
  kpa <- matrix(to_kpa(x), nrow = cells)
  kpa[!alive, ] <- 0
  contact <- x > floor_x & alive & kpa > 0
  load <- kpa * contact
  total <- colSums(load)
  count <- colSums(contact)
  force[start:end] <- total * pitch_mm2 * 1e-3 # kPa x mm^2 = mN
  area[start:end] <- count * pitch_mm2 / 100
  mean_kpa[start:end] <- ifelse(count > 0, total / count, NA)
  peak <- pmax(peak, apply(kpa, 1, max))
}
peak_map <- matrix(peak, dims[1], dims[2])
pitch_col <- h5attr(f, "pitch_col_mm")
pitch_row <- h5attr(f, "pitch_row_mm")
events <- f[["events"]]$read()
f$close_all()

write.csv(data.frame(t = t, force_n = force, contact_area_cm2 = area, mean_kpa = mean_kpa),
          paste0(prefix, "-frames.csv"), row.names = FALSE)

png(paste0(prefix, "-map.png"), width = 320, height = 560, type = "cairo")
image(seq(0, by = pitch_col, length.out = dims[1]),
      seq(0, by = pitch_row, length.out = dims[2]), peak_map,
      col = hcl.colors(64, "YlOrRd", rev = TRUE), asp = 1,
      xlab = "across the mat (mm)", ylab = "along the roll axis (mm)",
      main = "peak pressure (kPa)")
invisible(dev.off())
png(paste0(prefix, "-force.png"), width = 900, height = 300, type = "cairo")
plot(t, force, type = "l", xlab = "time (s)", ylab = "force (N)")
starts <- events[events$kind == "segment_start", ]
abline(v = starts$t, lty = 3, col = "grey")
text(starts$t, max(force), starts$label, pos = 4, cex = 0.8)
invisible(dev.off())
