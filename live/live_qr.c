/* The page's URL as a QR code on the terminal (libqrencode), two modules
 * per character cell with half blocks, light modules drawn (a terminal is
 * usually light on dark), inside the quiet zone the standard asks for. */
#include <qrencode.h>
#include <stdio.h>

#include "live_internal.h"

#define QUIET 2

void live_print_qr(FILE *f, const char *text)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
    if (!qr)
        return;
    int w = qr->width;
    for (int y = -QUIET; y < w + QUIET; y += 2) {
        for (int x = -QUIET; x < w + QUIET; x++) {
            int top = y >= 0 && y < w && x >= 0 && x < w && (qr->data[y * w + x] & 1);
            int bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w && (qr->data[(y + 1) * w + x] & 1);
            /* dark modules are blank cells */
            fputs(top ? (bot ? " " : "\u2584") : (bot ? "\u2580" : "\u2588"), f);
        }
        fputc('\n', f);
    }
    QRcode_free(qr);
}
