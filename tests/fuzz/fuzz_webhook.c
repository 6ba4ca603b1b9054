/* fuzz_webhook.c -- libFuzzer harness for lib/decode/webhook.c.
 *
 * The input is a webhook body for wh_parse(), with the replica labels the
 * daemon drops by default. The clock is fixed (FUZZ_NOW_MS, 2026-12-01):
 * the Makefile links with -Wl,--wrap=ts_now_ms, so that whether a startsAt
 * is "in the future" does not depend on when an input is replayed.
 *
 * Checked on every input: a rejection has a known reason, a message and no
 * notification; an accepted notification holds what wh_parse promises (a
 * non-empty alertname and labels of strings per alert, the replica labels
 * gone from its identity labels, startsAt in [1970, now + 10m], endsAt
 * not before it, the JSON texts the store keeps parse back to the same
 * labels), and parsing the body again gives the same digests.
 *
 *   make fuzz                        build all harnesses, run each FUZZ_SECONDS
 *   build/fuzz/fuzz_webhook/fuzz_webhook build/fuzz/fuzz_webhook/corpus \
 *       build/fuzz/fuzz_webhook/seed
 *
 * Seeds: tests/data/webhook_*.json and tests/fuzz/seeds/webhook/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "timefmt.h"
#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int64_t __wrap_ts_now_ms(void);


#define FUZZ_NOW_MS	1796083200000LL	/* 2026-12-01T00:00:00Z */

static const char *const replica[] = { "replica", "prometheus_replica" };

/* ts_now_ms for webhook.c (the linker's --wrap): a fixed clock. */
int64_t
__wrap_ts_now_ms(void)
{
	return FUZZ_NOW_MS;
}

static void
check_labels(const json_t *labels)
{
	const char *k;
	json_t *v;

	REQUIRE(json_is_object(labels));
	json_object_foreach((json_t *)labels, k, v) {
		REQUIRE(k[0] != '\0');
		REQUIRE(json_is_string(v));
	}
}

/* text, the JSON the store keeps, is the same object as j. */
static void
check_text(const char *text, const json_t *j)
{
	json_t *back;

	if (text == NULL)
		return;
	back = json_loads(text, JSON_ALLOW_NUL, NULL);
	REQUIRE(back != NULL);
	REQUIRE(json_equal(back, (json_t *)j));
	json_decref(back);
}

static void
check_notification(const struct wh_notification *n)
{
	REQUIRE(n->root != NULL && n->receiver != NULL &&
	    n->group_key != NULL && n->external_url != NULL);
	REQUIRE(strlen(n->receiver) <= WH_RECEIVER_MAX);
	REQUIRE(n->nalerts == 0 || n->alerts != NULL);
	for (size_t i = 0; i < n->nalerts; i++) {
		const struct wh_alert *a = &n->alerts[i];

		REQUIRE(a->status == WH_FIRING || a->status == WH_RESOLVED);
		check_labels(a->labels);
		check_labels(a->identity_labels);
		REQUIRE(json_is_object(a->annotations));
		REQUIRE(a->alertname != NULL && a->alertname[0] != '\0');
		REQUIRE(strcmp(json_string_value(json_object_get(a->labels,
		    "alertname")), a->alertname) == 0);
		for (size_t r = 0; r < sizeof(replica) / sizeof(replica[0]);
		    r++)
			REQUIRE(json_object_get(a->identity_labels,
			    replica[r]) == NULL);
		REQUIRE(a->generator_url != NULL);
		REQUIRE(a->starts_ms >= 0 &&
		    a->starts_ms <= FUZZ_NOW_MS + WH_FUTURE_MAX_MS);
		REQUIRE(a->ends_ms == 0 || a->ends_ms >= a->starts_ms);
		REQUIRE(a->status != WH_RESOLVED || a->ends_ms != 0);
		check_text(a->labels_json, a->labels);
		check_text(a->annotations_json, a->annotations);
	}
	check_text(n->group_labels_json, n->group_labels);
	check_text(n->common_labels_json, n->common_labels);
	check_text(n->common_annotations_json, n->common_annotations);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wh_notification *n = NULL, *again = NULL;
	enum wh_error e;
	char err[256];

	err[0] = '\0';
	e = wh_parse((const char *)data, size, replica, 2, &n, err,
	    sizeof(err));
	REQUIRE(strcmp(wh_error_reason(e), "unknown") != 0);
	if (e != WH_OK) {
		REQUIRE(n == NULL);
		REQUIRE(err[0] != '\0');
		return 0;
	}
	REQUIRE(n != NULL);
	check_notification(n);
	REQUIRE(wh_parse((const char *)data, size, replica, 2, &again, err,
	    sizeof(err)) == WH_OK);
	REQUIRE(again->nalerts == n->nalerts);
	REQUIRE(again->digest == n->digest);
	REQUIRE(again->content_digest == n->content_digest);
	for (size_t i = 0; i < n->nalerts; i++)
		REQUIRE(again->alerts[i].fingerprint ==
		    n->alerts[i].fingerprint &&
		    again->alerts[i].identity == n->alerts[i].identity);
	wh_free(again);
	wh_free(n);
	return 0;
}
