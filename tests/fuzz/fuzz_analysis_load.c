/* libFuzzer target: the typed loader of analysis documents
 * (rm_analysis_from_json), which `rollmat summary` runs on whatever files a
 * batch folder holds. Any bytes: JSON or not, any shape. Whatever loads must
 * write its CSV rows and serialize again without crashing. Seeds: a
 * document of the spec's example shape, and a batch error record. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rm_analysis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = json_loadb((const char *)data, size, 0, NULL);
    if (!doc)
        return 0;
    struct rm_analysis_result *r = NULL;
    if (rm_analysis_from_json("fuzz.json", doc, &r) == 0) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            rm_analysis_csv_rows(null, r->recording, r);
            rm_analysis_holds_rows(null, r->recording, r);
            fclose(null);
        }
        json_decref(rm_analysis_to_json(r));
        rm_analysis_result_free(r);
    }
    json_decref(doc);
    return 0;
}
