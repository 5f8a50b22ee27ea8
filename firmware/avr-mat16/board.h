/* The reference mat's hardware (docs/build-a-mat.md has the wiring
 * picture): an ATmega328P at 16 MHz (Arduino Uno or Nano), a 16 x 16
 * velostat matrix and two 74HC4067 16-channel multiplexers.
 *
 *   row mux    S0..S3 <- PD2..PD5 (Arduino D2..D5); SIG at +5 V, EN at GND:
 *              the selected row strip is driven to 5 V, the others float.
 *   column mux S0..S3 <- PB0..PB3 (Arduino D8..D11); SIG -> ADC0 (A0), with
 *              a 10 kOhm pull-down to GND; EN at GND.
 *
 * A pressed sensel is a velostat resistance between its row and column:
 * with the pull-down it makes a divider, so the count rises with pressure.
 * Change the pitch here when the copper strips are laid at another spacing. */
#ifndef AVR_MAT16_BOARD_H
#define AVR_MAT16_BOARD_H

#define MAT_ROWS 16
#define MAT_COLS 16
/* 25 mm strips: a 40 x 40 cm mat, wide enough for a 30-45 cm roller. */
#define MAT_PITCH_ROW_UM 25000
#define MAT_PITCH_COL_UM 25000
#define MAT_ADC_BITS     10

#define MAT_MODEL    "avr-mat16"
#define MAT_FIRMWARE "1.0.0"

/* Frame rate: 50 Hz by default; a frame's scan takes about 14 ms (256
 * conversions of 52 us at a 250 kHz ADC clock, plus row settling), so 60 Hz
 * is the most that leaves a margin. The previous frame is sent while the
 * next one is scanned. */
#define MAT_DEFAULT_RATE_HZ 50
#define MAT_MAX_RATE_HZ     60

/* After a row is switched, the strip and the mux settle for this long. */
#define ROW_SETTLE_US 10

#define ROW_SELECT_DDR    DDRD
#define ROW_SELECT_PORT   PORTD
#define ROW_SELECT_SHIFT  2 /* PD2..PD5 */
#define COL_SELECT_DDR    DDRB
#define COL_SELECT_PORT   PORTB
#define COL_SELECT_SHIFT  0 /* PB0..PB3 */
#define SELECT_MASK       0x0F
#define SENSE_ADC_CHANNEL 0

/* The serial number: EEPROM bytes 0..3 "RMSN" followed by up to 16 ASCII
 * characters (NUL padded); otherwise made from the chip's signature row. */
#define EEPROM_SERIAL_MAGIC "RMSN"

#endif
