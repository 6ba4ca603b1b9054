/* fuzz_selector.c -- libFuzzer harness for lib/core/selector.c.
 *
 * The input is the text of a match[] selector. It is parsed as the daemon
 * parses a request's (sel_parse, then sel_fail_fast), so PCRE2 runs under
 * the module's own match, depth and heap limits; a selector that parses is
 * matched against a few fixed label sets (absent labels, empty values,
 * UTF-8, a long value for backtracking) and freed.
 *
 * Checked on every input: a failure writes a message and leaves no
 * selector; a selector answers the same for a label set both times it is
 * asked (a limit hit once, with fail_fast, answers 0 from then on, and is
 * then reported by sel_too_expensive).
 *
 *   make fuzz                        build all harnesses, run each FUZZ_SECONDS
 *   build/fuzz/fuzz_selector/fuzz_selector build/fuzz/fuzz_selector/corpus \
 *       build/fuzz/fuzz_selector/seed
 *
 * Seeds: tests/fuzz/seeds/selector/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "selector.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);


static const char *const label_sets[] = {
	"{}",
	"{\"alertname\":\"DiskFull\",\"team\":\"infra\",\"severity\":"
	    "\"page\",\"instance\":\"db-1:9100\",\"empty\":\"\"}",
	"{\"alertname\":\"Überlast\",\"team\":\"équipe\",\"job\":"
	    "\"node\\nexporter\",\"__name__\":\"ALERTS\"}",
	"{\"alertname\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\","
	    "\"x\":\"xyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyz\"}",
};
#define NSETS	(sizeof(label_sets) / sizeof(label_sets[0]))

static json_t *labels[NSETS];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (size_t i = 0; i < NSETS; i++)
		if ((labels[i] = json_loads(label_sets[i], 0, NULL)) == NULL)
			abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sel *s = NULL;
	char err[256], *text;
	int first[NSETS];

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if (sel_parse(text, &s, err, sizeof(err)) != 0) {
		REQUIRE(s == NULL);
		REQUIRE(err[0] != '\0');
		free(text);
		return 0;
	}
	REQUIRE(s != NULL);
	sel_fail_fast(s);
	for (size_t i = 0; i < NSETS; i++) {
		first[i] = sel_match_json(s, labels[i]);
		REQUIRE(first[i] == 0 || first[i] == 1);
	}
	for (size_t i = 0; i < NSETS; i++) {
		int again = sel_match_json(s, labels[i]);

		if (sel_too_expensive(s))
			REQUIRE(again == 0);
		else
			REQUIRE(again == first[i]);
	}
	sel_free(s);
	free(text);
	return 0;
}
