/* fuzz_duration.c -- libFuzzer harness for the durations of
 * lib/core/config.c: cfg_parse_duration, cfg_parse_window and
 * cfg_format_duration.
 *
 * The input is the text of a duration ("1h30m"). Checked on every input:
 * a duration that parses is at least 0, cfg_parse_window takes it exactly
 * when it is 1ms..CFG_WINDOW_MAX_MS (and gives the same ms), and formatted
 * (as Prometheus prints it) it parses back to the same ms, the formatted
 * text being a fixed point. The input's first 8 bytes, as a number of ms in
 * 0..the largest duration that parses ("106751d23h47m16s854ms"), are
 * formatted and parsed back the same way.
 *
 *   make fuzz                        build all harnesses, run each FUZZ_SECONDS
 *   build/fuzz/fuzz_duration/fuzz_duration build/fuzz/fuzz_duration/corpus \
 *       build/fuzz/fuzz_duration/seed
 *
 * Seeds: tests/fuzz/seeds/duration/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);


/* The largest duration cfg_parse_duration takes: as prometheus/common,
 * what fits in Go's time.Duration (int64 nanoseconds), in ms. */
#define DUR_MAX_MS	(INT64_MAX / 1000000)

/* ms formatted parses back to ms, and formatting that gives the same text. */
static void
round_trip(int64_t ms)
{
	char a[64], b[64];
	int64_t back = -1;

	cfg_format_duration(ms, a, sizeof(a));
	REQUIRE(a[0] != '\0');
	REQUIRE(cfg_parse_duration(a, &back) == 0);
	REQUIRE(back == ms);
	cfg_format_duration(back, b, sizeof(b));
	REQUIRE(strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t ms = -1, win = -2;
	uint64_t raw;
	char *text;
	int dur_ok, win_ok;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	dur_ok = cfg_parse_duration(text, &ms) == 0;
	win_ok = cfg_parse_window(text, &win) == 0;
	if (dur_ok) {
		REQUIRE(ms >= 0 && ms <= DUR_MAX_MS);
		round_trip(ms);
		REQUIRE(win_ok == (ms >= 1 && ms <= CFG_WINDOW_MAX_MS));
		if (win_ok)
			REQUIRE(win == ms);
	} else {
		REQUIRE(!win_ok);
	}
	if (!win_ok)
		REQUIRE(win == -2);	/* unchanged on failure */
	free(text);

	if (size >= sizeof(raw)) {
		memcpy(&raw, data, sizeof(raw));
		round_trip((int64_t)(raw % ((uint64_t)DUR_MAX_MS + 1)));
	}
	return 0;
}
