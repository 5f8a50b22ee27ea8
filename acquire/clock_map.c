#include "clock_map.h"

void rm_clock_map_reset(struct rm_clock_map *m, double t, double host)
{
    *m = (struct rm_clock_map){
        .win_start = t,
        .win_min = host - t,
        .offset = host - t,
    };
}

bool rm_clock_map_add(struct rm_clock_map *m, double t, double host)
{
    double off = host - t;
    if (t - m->win_start < RM_CLOCK_WINDOW_S) {
        if (off < m->win_min)
            m->win_min = off;
        if (!m->have_window)
            m->offset = m->win_min;
        return false;
    }
    /* The window is complete: this frame opens the next one. */
    m->offset = m->win_min;
    m->have_window = true;
    bool changed = false;
    if (!m->have_ref) {
        m->ref_t = m->win_start;
        m->ref_offset = m->win_min;
        m->have_ref = true;
    } else if (m->win_start > m->ref_t) {
        /* host - device growing means the device clock runs slow. */
        m->drift_ppm = -(m->win_min - m->ref_offset) / (m->win_start - m->ref_t) * 1e6;
        m->have_drift = true;
        changed = true;
    }
    m->win_start = t;
    m->win_min = off;
    return changed;
}

double rm_clock_map_device_time(const struct rm_clock_map *m, double host)
{
    return host - m->offset;
}
