/* The pressure a simulated roller puts on the reference mat (16 x 16 at
 * 25 mm, firmware/avr-mat16/board.h), as ADC counts, for the simavr
 * harness: a contact line across the mat (Gaussian along the roll axis,
 * sigma 20 mm; strongest under the middle of the leg across it) that rolls
 * along the rows from 75 mm to 325 mm and back at SIM_ROLL_MM_S, over an
 * unloaded floor of a few counts. tests/firmware/test_firmware_record.py
 * knows the same numbers to check what `rollmat analyze` finds. */
#ifndef SIM_PATTERN_H
#define SIM_PATTERN_H

#include <math.h>

#define SIM_ROWS      16
#define SIM_COLS      16
#define SIM_SENSELS   (SIM_ROWS * SIM_COLS)
#define SIM_PITCH_MM  25.0
#define SIM_ROLL_FROM 75.0
#define SIM_ROLL_TO   325.0
#define SIM_ROLL_MM_S 50.0
#define SIM_PEAK      700.0
#define SIM_FLOOR     6.0

/* Where the contact line is after t seconds of rolling. */
static inline double sim_pattern_position_mm(double t)
{
    double span = SIM_ROLL_TO - SIM_ROLL_FROM;
    double d = fmod(t * SIM_ROLL_MM_S, 2.0 * span);
    return SIM_ROLL_FROM + (d <= span ? d : 2.0 * span - d);
}

static inline unsigned sim_pattern_count(int row, int col, double t)
{
    /* Positions as the analysis counts them: sensel r at r x pitch. */
    double along = row * SIM_PITCH_MM - sim_pattern_position_mm(t);
    double across = col * SIM_PITCH_MM - (SIM_COLS - 1) * SIM_PITCH_MM / 2.0;
    double load =
        exp(-along * along / (2.0 * 20.0 * 20.0)) * exp(-across * across / (2.0 * 110.0 * 110.0));
    double c = SIM_FLOOR + SIM_PEAK * load;
    return c > 1023.0 ? 1023u : (unsigned)c;
}

#endif
