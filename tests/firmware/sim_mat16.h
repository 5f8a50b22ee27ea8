/* The simavr harness of the reference firmware (sim_mat16.c): a simulated
 * ATmega328P on a simulated mat, driven from a pty or by the self-test. */
#ifndef SIM_MAT16_H
#define SIM_MAT16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sim_avr.h>
#include <sim_elf.h>

struct sim_mat {
    elf_firmware_t fw; /* what elf_read_firmware allocated, freed at close */
    avr_t *avr;
    avr_irq_t *uart_in, *adc_irq0;
    uint32_t row_irq0, col_irq0; /* irq numbers of PD2 and PB0 */
    int row, col;                /* what the select pins address now */

    /* What the ADC was fed since the last S: fed[frame][row][col]. */
    uint16_t *fed;
    size_t fed_cap, fed_frames, conversions;
    double motion_t0; /* simulated time of the first S: the roller starts */
    bool motion_started;
    double report_s; /* pty mode: say so on stdout once rolled this long */
    bool reported;

    uint8_t *out; /* bytes the firmware sent, not yet taken */
    size_t out_len, out_cap;
    uint8_t in[256]; /* bytes for the firmware, handed over on XON */
    size_t in_len, in_pos;
    bool xon, oom;
};

/* 0, 77 (skip: no firmware built) or 1. */
int sim_open(struct sim_mat *s, const char *elf_path, const char *serial);
void sim_close(struct sim_mat *s);
double sim_time_s(const struct sim_mat *s);
/* Runs the simulation up to t_s simulated seconds; -1 if the firmware died. */
int sim_run_until(struct sim_mat *s, double t_s);
/* Queues bytes for the firmware's UART. */
void sim_send(struct sim_mat *s, const uint8_t *bytes, size_t n);

/* The firmware's commands checked in simulated time (sim_selftest.c). */
int sim_selftest(struct sim_mat *s, const char *serial);

#endif
