/* Runs the reference firmware (firmware/avr-mat16) in simavr as if it sat on
 * a mat under a foam roller: a simulated ATmega328P at 16 MHz whose ADC
 * reads the voltage of the sensel that the two multiplexers' select pins
 * address, from a pressure pattern that rolls like a roller
 * (sim_pattern.h), with its UART bridged to a pseudo-terminal.
 *
 *   sim_mat16 FIRMWARE.elf --pty [--fed FED.bin] [--serial TEXT] [--max-s S]
 *       prints "pty /dev/pts/N" on stdout, then runs paced to real time
 *       until SIGTERM/SIGINT or S simulated seconds; --report-s S prints
 *       "rolled S s" once the roller has moved S simulated seconds (a test
 *       on a slow machine waits for that, not for the wall clock); --fed writes what the
 *       ADC was fed, per frame since the last S command (u32 frames, then
 *       frames x rows x cols u16 counts, row-major by the select pins);
 *   sim_mat16 FIRMWARE.elf --selftest [--serial TEXT]
 *       plays the host itself, in simulated time (sim_selftest.c).
 *
 * The bridge holds what the firmware sent until the pty takes it: nothing
 * is lost when the host reads late (simavr's uart_pty part drops bytes
 * then). Bytes to the firmware are handed over only while its UART says
 * XON (the simulated RX FIFO has room). Exit 77 when the ELF is missing
 * (the firmware was not built: no avr-gcc). */
#define _XOPEN_SOURCE 600 /* posix_openpt, ptsname */
#include "sim_mat16.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <avr_adc.h>
#include <avr_eeprom.h>
#include <avr_ioport.h>
#include <avr_uart.h>
#include <sim_avr.h>
#include <sim_elf.h>

#include "sim_pattern.h"

#define F_CPU_HZ  16000000u
#define VREF_MV   5000u
#define SKIP_CODE 77
#define SLICE_US  1000 /* pty mode: simulated time run between bridge turns */

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
    (void)sig;
    quit = 1;
}

double sim_time_s(const struct sim_mat *s)
{
    return (double)s->avr->cycle / (double)s->avr->frequency;
}

/* ---- pins and the ADC ------------------------------------------------------- */

static void on_row_pin(struct avr_irq_t *irq, uint32_t value, void *param)
{
    struct sim_mat *s = param;
    int bit = (int)(irq->irq - s->row_irq0);
    s->row = (s->row & ~(1 << bit)) | ((value ? 1 : 0) << bit);
}

static void on_col_pin(struct avr_irq_t *irq, uint32_t value, void *param)
{
    struct sim_mat *s = param;
    int bit = (int)(irq->irq - s->col_irq0);
    s->col = (s->col & ~(1 << bit)) | ((value ? 1 : 0) << bit);
}

static int fed_grow(struct sim_mat *s, size_t frames)
{
    if (frames <= s->fed_cap)
        return 0;
    size_t cap = s->fed_cap ? 2 * s->fed_cap : 1024;
    while (cap < frames)
        cap *= 2;
    uint16_t *p = realloc(s->fed, cap * SIM_SENSELS * sizeof(*p));
    if (!p)
        return -1;
    s->fed = p;
    s->fed_cap = cap;
    return 0;
}

/* A conversion starts: put the addressed sensel's voltage on ADC0. */
static void on_adc_trigger(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)value;
    struct sim_mat *s = param;
    double motion_t = sim_time_s(s) - s->motion_t0;
    unsigned count = sim_pattern_count(s->row, s->col, motion_t < 0 ? 0 : motion_t);
    size_t frame = s->conversions / SIM_SENSELS;
    if (fed_grow(s, frame + 1) == 0) {
        s->fed[frame * SIM_SENSELS + (size_t)(s->row * SIM_COLS + s->col)] = (uint16_t)count;
        if (frame + 1 > s->fed_frames)
            s->fed_frames = frame + 1;
    }
    s->conversions++;
    /* The simulated ADC reads mV * 1023 / Vref, truncated: the midpoint of
     * the count's voltage step reads back as the count. */
    uint32_t mv = (uint32_t)(((double)count + 0.5) * VREF_MV / 1023.0);
    avr_raise_irq(s->adc_irq0, mv);
}

/* ---- the UART --------------------------------------------------------------- */

static void on_uart_out(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    struct sim_mat *s = param;
    if (s->out_len == s->out_cap) {
        size_t cap = s->out_cap ? 2 * s->out_cap : 65536;
        uint8_t *p = realloc(s->out, cap);
        if (!p) {
            s->oom = true;
            return;
        }
        s->out = p;
        s->out_cap = cap;
    }
    s->out[s->out_len++] = (uint8_t)value;
}

static void feed_input(struct sim_mat *s)
{
    while (s->xon && s->in_pos < s->in_len) {
        uint8_t b = s->in[s->in_pos++];
        if (b == 'S') {
            /* The firmware scans only while streaming, and the host
             * stopped it before: frame 0 of the new stream starts here. */
            s->conversions = 0;
            s->fed_frames = 0;
            s->motion_t0 = s->motion_started ? s->motion_t0 : sim_time_s(s);
            s->motion_started = true;
        }
        avr_raise_irq(s->uart_in, b);
    }
    if (s->in_pos == s->in_len)
        s->in_pos = s->in_len = 0;
}

static void on_xon(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)value;
    struct sim_mat *s = param;
    s->xon = true;
    feed_input(s);
}

static void on_xoff(struct avr_irq_t *irq, uint32_t value, void *param)
{
    (void)irq;
    (void)value;
    struct sim_mat *s = param;
    s->xon = false;
}

void sim_send(struct sim_mat *s, const uint8_t *bytes, size_t n)
{
    if (s->in_len + n > sizeof(s->in))
        n = sizeof(s->in) - s->in_len; /* callers send a few bytes at a time */
    memcpy(s->in + s->in_len, bytes, n);
    s->in_len += n;
    feed_input(s);
}

int sim_run_until(struct sim_mat *s, double t_s)
{
    avr_cycle_count_t target = (avr_cycle_count_t)(t_s * s->avr->frequency);
    while (s->avr->cycle < target) {
        int state = avr_run(s->avr);
        if (state == cpu_Done || state == cpu_Crashed) {
            fprintf(stderr, "sim_mat16: the firmware %s at %.6f s\n",
                    state == cpu_Done ? "stopped" : "crashed", sim_time_s(s));
            return -1;
        }
        if (s->oom) {
            fprintf(stderr, "sim_mat16: out of memory\n");
            return -1;
        }
    }
    return 0;
}

/* ---- setting up --------------------------------------------------------------- */

static void set_serial(struct sim_mat *s, const char *serial)
{
    uint8_t ee[4 + 16] = {'R', 'M', 'S', 'N'};
    size_t n = strlen(serial);
    memcpy(ee + 4, serial, n < 16 ? n : 16); /* NUL padded, as the firmware reads it */
    avr_eeprom_desc_t d = {.ee = ee, .offset = 0, .size = sizeof(ee)};
    /* simavr 1.6 answers -1 even when it loaded the bytes: the self-test
     * reads the serial back through the firmware instead. */
    avr_ioctl(s->avr, AVR_IOCTL_EEPROM_SET, &d);
}

int sim_open(struct sim_mat *s, const char *elf_path, const char *serial)
{
    memset(s, 0, sizeof(*s));
    elf_firmware_t *fw = &s->fw;
    if (access(elf_path, R_OK) != 0) {
        printf("skipped: no firmware at %s (avr-gcc missing?)\n", elf_path);
        return SKIP_CODE;
    }
    if (elf_read_firmware(elf_path, fw) != 0) {
        fprintf(stderr, "sim_mat16: %s: cannot read the ELF\n", elf_path);
        return 1;
    }
    /* The firmware carries no simulator section: the board is set here. */
    snprintf(fw->mmcu, sizeof(fw->mmcu), "atmega328p");
    fw->frequency = F_CPU_HZ;
    fw->vcc = fw->avcc = fw->aref = VREF_MV;
    s->avr = avr_make_mcu_by_name(fw->mmcu);
    if (!s->avr) {
        fprintf(stderr, "sim_mat16: simavr has no atmega328p\n");
        return 1;
    }
    avr_init(s->avr);
    avr_load_firmware(s->avr, fw);
    s->avr->log = LOG_WARNING;
    if (serial)
        set_serial(s, serial);

    uint32_t flags = 0;
    avr_ioctl(s->avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
    flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
    avr_ioctl(s->avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
    s->uart_in = avr_io_getirq(s->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
                            on_uart_out, s);
    avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON),
                            on_xon, s);
    avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF),
                            on_xoff, s);

    /* Row select PD2..PD5, column select PB0..PB3 (firmware board.h). */
    s->row_irq0 = avr_io_getirq(s->avr, AVR_IOCTL_IOPORT_GETIRQ('D'), IOPORT_IRQ_PIN0 + 2)->irq;
    s->col_irq0 = avr_io_getirq(s->avr, AVR_IOCTL_IOPORT_GETIRQ('B'), IOPORT_IRQ_PIN0)->irq;
    for (int b = 0; b < 4; b++) {
        avr_irq_register_notify(
            avr_io_getirq(s->avr, AVR_IOCTL_IOPORT_GETIRQ('D'), IOPORT_IRQ_PIN0 + 2 + b),
            on_row_pin, s);
        avr_irq_register_notify(
            avr_io_getirq(s->avr, AVR_IOCTL_IOPORT_GETIRQ('B'), IOPORT_IRQ_PIN0 + b), on_col_pin,
            s);
    }
    s->adc_irq0 = avr_io_getirq(s->avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_ADC0);
    avr_irq_register_notify(avr_io_getirq(s->avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER),
                            on_adc_trigger, s);
    return 0;
}

void sim_close(struct sim_mat *s)
{
    if (s->avr)
        avr_terminate(s->avr);
    /* avr_load_firmware() copied the code; the symbols are only the ELF's. */
    free(s->fw.flash);
    free(s->fw.eeprom);
    for (uint32_t i = 0; i < s->fw.symbolcount; i++)
        free(s->fw.symbol[i]);
    free(s->fw.symbol);
    free(s->out);
    free(s->fed);
}

/* ---- the pty bridge ------------------------------------------------------------- */

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_fed(const struct sim_mat *s, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    uint32_t n = (uint32_t)s->fed_frames;
    /* The last frame may be half scanned: only whole ones are written. */
    if (n > 0 && s->conversions % SIM_SENSELS != 0)
        n--;
    int ok = fwrite(&n, sizeof(n), 1, f) == 1 &&
             fwrite(s->fed, SIM_SENSELS * sizeof(uint16_t), n, f) == n;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int run_pty(struct sim_mat *s, const char *fed_path, double max_s)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
        perror("sim_mat16: pty");
        return 1;
    }
    printf("pty %s\n", ptsname(master)); /* simavr prints lines of its own */
    fflush(stdout);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    double wall0 = wall_s();
    int rc = 0;
    while (!quit && (max_s <= 0 || sim_time_s(s) < max_s)) {
        /* Paced to real time: a mat's clock runs at the host's pace. */
        double ahead = sim_time_s(s) - (wall_s() - wall0);
        if (ahead > 0) {
            struct timespec ts = {0, (long)(ahead * 1e9)};
            nanosleep(&ts, NULL);
        }
        if ((rc = sim_run_until(s, sim_time_s(s) + SLICE_US / 1e6)) < 0)
            break;
        if (s->report_s > 0 && s->motion_started && !s->reported &&
            sim_time_s(s) - s->motion_t0 >= s->report_s) {
            printf("rolled %.3f s\n", sim_time_s(s) - s->motion_t0);
            fflush(stdout);
            s->reported = true;
        }
        if (s->out_len) {
            ssize_t w = write(master, s->out, s->out_len);
            if (w > 0) {
                memmove(s->out, s->out + w, s->out_len - (size_t)w);
                s->out_len -= (size_t)w;
            }
        }
        uint8_t buf[64];
        ssize_t r = read(master, buf, sizeof(buf));
        if (r > 0)
            sim_send(s, buf, (size_t)r);
    }
    if (fed_path && write_fed(s, fed_path) < 0) {
        fprintf(stderr, "sim_mat16: %s: %s\n", fed_path, strerror(errno));
        rc = -1;
    }
    fprintf(stderr, "sim_mat16: %.3f simulated s in %.3f s; %zu conversions since S\n",
            sim_time_s(s), wall_s() - wall0, s->conversions);
    close(master);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *elf = NULL, *fed = NULL, *serial = NULL;
    bool pty = false, selftest = false;
    double max_s = 0, report_s = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--pty") == 0)
            pty = true;
        else if (strcmp(argv[i], "--selftest") == 0)
            selftest = true;
        else if (strcmp(argv[i], "--fed") == 0 && i + 1 < argc)
            fed = argv[++i];
        else if (strcmp(argv[i], "--serial") == 0 && i + 1 < argc)
            serial = argv[++i];
        else if (strcmp(argv[i], "--max-s") == 0 && i + 1 < argc)
            max_s = atof(argv[++i]);
        else if (strcmp(argv[i], "--report-s") == 0 && i + 1 < argc)
            report_s = atof(argv[++i]);
        else if (!elf && argv[i][0] != '-')
            elf = argv[i];
        else
            elf = NULL, pty = selftest = false, i = argc;
    }
    if (!elf || pty == selftest) {
        fprintf(stderr, "usage: sim_mat16 FIRMWARE.elf --pty [--fed FED.bin] [--serial TEXT] "
                        "[--max-s S] [--report-s S] | --selftest [--serial TEXT]\n");
        return 2;
    }
    struct sim_mat s;
    int rc = sim_open(&s, elf, serial);
    s.report_s = report_s;
    if (rc == 0)
        rc = pty ? run_pty(&s, fed, max_s) : sim_selftest(&s, serial);
    sim_close(&s);
    return rc;
}
