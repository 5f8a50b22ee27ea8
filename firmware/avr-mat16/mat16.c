/* Reference firmware of a rollmat serial mat: scans a 16 x 16 velostat
 * matrix (board.h) and speaks the serial transport of
 * shared/spec/wire-protocol.md at 1,000,000 baud:
 *
 *   I           -> "RMI1", the 64-byte info block, CRC-32 of those 68 bytes
 *   R + u16     -> frame rate, 1..MAT_MAX_RATE_HZ (others ignored)
 *   S           -> stream RMF1 frames, seq from 0
 *   X           -> stop streaming (the frame on the line is finished)
 *
 * Two frame buffers: while one frame is scanned, the previous one goes out
 * of the UART byte by byte between conversions, its CRC computed as it is
 * sent. Received bytes land in a small ring from the RX interrupt, so a
 * command is never lost during a scan. Timer1 keeps the microsecond clock
 * of the frames' t_us. */
#include <avr/boot.h>
#include <avr/eeprom.h>
#include <avr/interrupt.h>
#include <avr/io.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <util/atomic.h>
#include <util/delay.h>

#include "board.h"
#include "crc32.h"

#define SENSELS        (MAT_ROWS * MAT_COLS)
#define HEADER_SIZE    16
#define INFO_SIZE      64
#define FRAME_OVERRUN  0x0001u
#define FRAME_SATURATE 0x0002u
#define ADC_FULL_SCALE ((1u << MAT_ADC_BITS) - 1u)

/* ---- clock: Timer1 at F_CPU/8 = 2 MHz, overflow every 32,768 us -------- */

static volatile uint32_t clock_base_us;

ISR(TIMER1_OVF_vect)
{
    clock_base_us += 32768u;
}

static uint32_t now_us(void)
{
    uint32_t base;
    uint16_t ticks;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE)
    {
        base = clock_base_us;
        ticks = TCNT1;
        /* An overflow not yet serviced: TCNT1 already wrapped. */
        if ((TIFR1 & _BV(TOV1)) && ticks < 0x8000u)
            base += 32768u;
    }
    return base + ticks / 2u;
}

/* ---- serial: 1,000,000 baud 8N1, RX into a ring ------------------------- */

#define RX_RING 16 /* a power of two */
static volatile uint8_t rx_ring[RX_RING];
static volatile uint8_t rx_head, rx_tail;

ISR(USART_RX_vect)
{
    uint8_t b = UDR0;
    uint8_t next = (uint8_t)((rx_head + 1u) & (RX_RING - 1u));
    if (next != rx_tail) { /* full: the byte is dropped, the host retries */
        rx_ring[rx_head] = b;
        rx_head = next;
    }
}

static bool rx_pop(uint8_t *b)
{
    bool got = false;
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE)
    {
        if (rx_tail != rx_head) {
            *b = rx_ring[rx_tail];
            rx_tail = (uint8_t)((rx_tail + 1u) & (RX_RING - 1u));
            got = true;
        }
    }
    return got;
}

static void uart_init(void)
{
    /* Double speed, UBRR 1: exactly 1,000,000 baud at 16 MHz. */
    UCSR0A = _BV(U2X0);
    UBRR0 = 1;
    UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
    UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
}

static void uart_put_blocking(uint8_t b)
{
    while (!(UCSR0A & _BV(UDRE0))) {
    }
    UDR0 = b;
}

/* ---- the frame on its way out ---------------------------------------------- */

struct frame {
    uint8_t header[HEADER_SIZE];
    uint16_t sensels[SENSELS];
};

static struct frame frames[2];

static struct {
    const struct frame *frame; /* NULL: nothing to send */
    uint16_t pos;              /* next byte: header, sensels, then CRC */
    uint32_t crc;
} tx;

#define FRAME_BYTES (HEADER_SIZE + 2u * SENSELS)

static uint8_t frame_byte(const struct frame *f, uint16_t pos)
{
    if (pos < HEADER_SIZE)
        return f->header[pos];
    uint16_t i = (uint16_t)(pos - HEADER_SIZE);
    uint16_t v = f->sensels[i / 2u];
    return (i & 1u) ? (uint8_t)(v >> 8) : (uint8_t)v; /* little-endian */
}

/* Puts out as many bytes as the UART takes right now. */
static void tx_pump(void)
{
    while (tx.frame && (UCSR0A & _BV(UDRE0))) {
        uint8_t b;
        if (tx.pos < FRAME_BYTES) {
            b = frame_byte(tx.frame, tx.pos);
            tx.crc = crc32_update(tx.crc, b);
        } else {
            uint32_t crc = tx.crc ^ CRC32_INIT;
            b = (uint8_t)(crc >> (8u * (tx.pos - FRAME_BYTES)));
        }
        UDR0 = b;
        if (++tx.pos == FRAME_BYTES + 4u)
            tx.frame = NULL;
    }
}

static void tx_flush(void)
{
    while (tx.frame)
        tx_pump();
}

/* ---- identity ---------------------------------------------------------------- */

static char serial_number[16];

static void load_serial(void)
{
    uint8_t magic[4];
    eeprom_read_block(magic, (const void *)0, sizeof(magic));
    if (memcmp(magic, EEPROM_SERIAL_MAGIC, sizeof(magic)) == 0) {
        eeprom_read_block(serial_number, (const void *)4, sizeof(serial_number));
        bool printable = serial_number[0] != '\0';
        for (uint8_t i = 0; i < sizeof(serial_number) && serial_number[i]; i++)
            if (serial_number[i] < 0x21 || serial_number[i] > 0x7e)
                printable = false;
        if (printable)
            return;
    }
    /* The signature row's lot, wafer and die position (bytes 0x0E..0x15):
     * unique per chip in practice, 16 hex digits. */
    static const char hex[] = "0123456789ABCDEF";
    for (uint8_t i = 0; i < 8; i++) {
        uint8_t b = boot_signature_byte_get(0x0E + i);
        serial_number[2 * i] = hex[b >> 4];
        serial_number[2 * i + 1] = hex[b & 0x0F];
    }
}

static uint16_t rate_hz = MAT_DEFAULT_RATE_HZ;

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, (uint16_t)v);
    put_u16(p + 2, (uint16_t)(v >> 16));
}

static void put_text(uint8_t *p, const char *s, uint8_t n)
{
    for (uint8_t i = 0; i < n; i++)
        p[i] = *s ? (uint8_t)*s++ : 0;
}

/* Sent whole, after the frame on the line (the host sends X first). */
static void send_info(void)
{
    uint8_t reply[4 + INFO_SIZE];
    memset(reply, 0, sizeof(reply));
    memcpy(reply, "RMI1", 4);
    uint8_t *b = reply + 4;
    put_u16(b + 0, 1); /* protocol_version */
    b[2] = MAT_ROWS;
    b[3] = MAT_COLS;
    put_u16(b + 4, MAT_PITCH_ROW_UM);
    put_u16(b + 6, MAT_PITCH_COL_UM);
    b[8] = MAT_ADC_BITS;
    put_u16(b + 10, MAT_MAX_RATE_HZ);
    put_u16(b + 12, rate_hz);
    put_text(b + 16, serial_number, 16);
    put_text(b + 32, MAT_MODEL, 16);
    put_text(b + 48, MAT_FIRMWARE, 16);

    tx_flush();
    uint32_t crc = CRC32_INIT;
    for (uint8_t i = 0; i < sizeof(reply); i++) {
        crc = crc32_update(crc, reply[i]);
        uart_put_blocking(reply[i]);
    }
    crc ^= CRC32_INIT;
    for (uint8_t i = 0; i < 4; i++)
        uart_put_blocking((uint8_t)(crc >> (8u * i)));
}

/* ---- commands ------------------------------------------------------------------ */

static bool streaming;
static uint32_t seq;
static uint32_t next_due_us;

static void handle_commands(void)
{
    static uint8_t rate_bytes_wanted; /* R seen: its u16 follows */
    static uint16_t rate_arg;
    uint8_t b;
    while (rx_pop(&b)) {
        if (rate_bytes_wanted) {
            rate_arg = rate_bytes_wanted == 2 ? b : (uint16_t)(rate_arg | ((uint16_t)b << 8));
            if (--rate_bytes_wanted == 0 && rate_arg >= 1 && rate_arg <= MAT_MAX_RATE_HZ)
                rate_hz = rate_arg;
            continue;
        }
        switch (b) {
        case 'I':
            send_info();
            break;
        case 'R':
            rate_bytes_wanted = 2;
            break;
        case 'S':
            streaming = true;
            seq = 0;
            next_due_us = now_us();
            break;
        case 'X':
            streaming = false;
            break;
        default: /* noise on the line, a terminal's newline: ignored */
            break;
        }
    }
}

/* ---- the scan ---------------------------------------------------------------------- */

static void select_row(uint8_t row)
{
    ROW_SELECT_PORT = (uint8_t)((ROW_SELECT_PORT & ~(SELECT_MASK << ROW_SELECT_SHIFT)) |
                                (row << ROW_SELECT_SHIFT));
}

static void select_col(uint8_t col)
{
    COL_SELECT_PORT = (uint8_t)((COL_SELECT_PORT & ~(SELECT_MASK << COL_SELECT_SHIFT)) |
                                (col << COL_SELECT_SHIFT));
}

static uint16_t convert(void)
{
    ADCSRA |= _BV(ADSC);
    /* 52 us per conversion: time to put out four or five bytes. */
    while (ADCSRA & _BV(ADSC))
        tx_pump();
    return ADC;
}

/* Scans every sensel into f; returns the SATURATED flag. */
static uint16_t scan(struct frame *f)
{
    uint16_t flags = 0;
    uint16_t *out = f->sensels;
    for (uint8_t r = 0; r < MAT_ROWS; r++) {
        select_row(r);
        select_col(0);
        _delay_us(ROW_SETTLE_US);
        for (uint8_t c = 0; c < MAT_COLS; c++) {
            select_col(c);
            uint16_t v = convert();
            if (v >= ADC_FULL_SCALE)
                flags |= FRAME_SATURATE;
            *out++ = v;
        }
        handle_commands();
    }
    return flags;
}

static void adc_init(void)
{
    /* AVcc reference, channel 0; 250 kHz ADC clock (prescaler 64), within
     * the datasheet's range for full 10-bit resolution's reach. */
    ADMUX = _BV(REFS0) | SENSE_ADC_CHANNEL;
    ADCSRA = _BV(ADEN) | _BV(ADPS2) | _BV(ADPS1);
    DIDR0 = _BV(SENSE_ADC_CHANNEL); /* no digital input buffer on A0 */
}

static void io_init(void)
{
    ROW_SELECT_DDR |= (uint8_t)(SELECT_MASK << ROW_SELECT_SHIFT);
    COL_SELECT_DDR |= (uint8_t)(SELECT_MASK << COL_SELECT_SHIFT);
    TCCR1A = 0;
    TCCR1B = _BV(CS11); /* F_CPU / 8 */
    TIMSK1 = _BV(TOIE1);
}

int main(void)
{
    io_init();
    adc_init();
    uart_init();
    load_serial();
    sei();

    uint8_t cur = 0;
    for (;;) {
        handle_commands();
        tx_pump();
        if (!streaming)
            continue;
        uint32_t now = now_us();
        if ((int32_t)(now - next_due_us) < 0)
            continue;
        uint32_t period = 1000000UL / rate_hz;
        /* Late by more than a period (a rate change, a slow info reply):
         * start over from now rather than rush to catch up. */
        next_due_us =
            (int32_t)(now - next_due_us) > (int32_t)period ? now + period : next_due_us + period;

        struct frame *f = &frames[cur];
        uint16_t flags = scan(f);
        memcpy(f->header, "RMF1", 4);
        put_u32(f->header + 4, seq++);
        put_u32(f->header + 8, now);
        f->header[12] = MAT_ROWS;
        f->header[13] = MAT_COLS;
        put_u16(f->header + 14, flags);
        if (!streaming) /* X arrived during the scan */
            continue;
        /* The previous frame is out by now (it takes 5.3 ms, the scan 14). */
        tx_flush();
        tx.frame = f;
        tx.pos = 0;
        tx.crc = CRC32_INIT;
        cur ^= 1u;
    }
}
