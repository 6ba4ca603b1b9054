/* fuzz_rw_decode.c -- libFuzzer harness for lib/decode/rw_*.c.
 *
 * The first input byte selects what is fuzzed: bit 7 set, the rest is a
 * Content-Type for rw_content_type(); otherwise bit 0 picks 1.0 or 2.0 and
 * the rest is a request body for rw_decode() -- snappy-compressed as sent,
 * or, with bit 1 set, a bare protobuf message that the harness compresses
 * first, so that mutations reach the protobuf layers. Every decoded request
 * is walked and its invariants checked, then freed.
 *
 * Differential: every body also goes through the reference decoder
 * (rw__decode_reference: the wire scan and protobuf-c's unpack); the
 * status, the message and the request, field by field, must be the same,
 * and the streaming decoder must have answered itself exactly when it
 * should (rw__last_path). Any difference aborts.
 *
 *   make fuzz                        build all harnesses, run each FUZZ_SECONDS
 *   build/fuzz/fuzz_rw_decode/fuzz_rw_decode \
 *       build/fuzz/fuzz_rw_decode/corpus build/fuzz/fuzz_rw_decode/seed
 *
 * Seeds (the Makefile writes them to build/fuzz/fuzz_rw_decode/seed):
 * tests/data/rw/v1_*.snappy behind 0x00, v2_*.snappy behind 0x01, and
 * their decompressed bodies (tests/fuzz/unsnappy.py) behind 0x02 / 0x03. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>

#include "fuzz.h"
#include "rw_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);


static void
check_request(const struct rw_request *r, enum rw_version v,
    enum rw_status st)
{
	size_t i, j, ninvalid = 0, nsamples = 0;

	REQUIRE(r->version == v);
	REQUIRE(r->nseries == 0 || r->series != NULL);
	for (i = 0; i < r->nseries; i++) {
		const struct rw_series *s = &r->series[i];

		REQUIRE(s->valid == 0 || s->valid == 1);
		REQUIRE(s->nlabels == 0 || s->labels != NULL);
		REQUIRE(s->nsamples == 0 || s->samples != NULL);
		for (j = 0; j < s->nlabels; j++) {
			REQUIRE(s->labels[j].name != NULL);
			REQUIRE(s->labels[j].value != NULL);
			/* touch every byte: ASan sees overreads */
			(void)strlen(s->labels[j].name);
			(void)strlen(s->labels[j].value);
			if (s->valid) {
				REQUIRE(s->labels[j].name[0] != '\0');
				REQUIRE(s->labels[j].value[0] != '\0');
				REQUIRE(j == 0 || strcmp(s->labels[j - 1].name,
				    s->labels[j].name) < 0);
			}
		}
		for (j = 1; j < s->nsamples; j++)
			REQUIRE(!s->valid || s->samples[j].ts_ms >=
			    s->samples[j - 1].ts_ms);
		if (s->valid)
			nsamples += s->nsamples;
		else
			ninvalid++;
	}
	REQUIRE(ninvalid == r->ninvalid);
	REQUIRE(nsamples == r->nsamples);
	REQUIRE((st == RW_ERR_INVALID) == (ninvalid > 0));
}

static void
same_request(const struct rw_request *a, const struct rw_request *b)
{
	size_t i, j;

	REQUIRE((a == NULL) == (b == NULL));
	if (a == NULL)
		return;
	REQUIRE(a->version == b->version && a->nseries == b->nseries &&
	    a->ninvalid == b->ninvalid && a->nsamples == b->nsamples &&
	    a->nhistograms == b->nhistograms &&
	    a->nexemplars == b->nexemplars);
	REQUIRE((a->series == NULL) == (b->series == NULL));
	for (i = 0; i < a->nseries; i++) {
		const struct rw_series *x = &a->series[i], *y = &b->series[i];

		REQUIRE(x->valid == y->valid && x->nlabels == y->nlabels &&
		    x->nsamples == y->nsamples);
		REQUIRE((x->labels == NULL) == (y->labels == NULL));
		REQUIRE((x->samples == NULL) == (y->samples == NULL));
		for (j = 0; j < x->nlabels; j++) {
			REQUIRE(strcmp(x->labels[j].name,
			    y->labels[j].name) == 0);
			REQUIRE(strcmp(x->labels[j].value,
			    y->labels[j].value) == 0);
		}
		for (j = 0; j < x->nsamples; j++) {
			REQUIRE(x->samples[j].ts_ms == y->samples[j].ts_ms);
			REQUIRE(memcmp(&x->samples[j].value,
			    &y->samples[j].value, sizeof(double)) == 0);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rw_limits lim;
	struct rw_request *r = NULL, *ref = NULL;
	enum rw_version v;
	enum rw_status st, rst;
	enum rw__path path;
	char err[256], rerr[256], *ct, *z = NULL;
	const void *body;
	size_t len;

	if (size < 1)
		return 0;
	if (data[0] & 0x80) {
		if ((ct = malloc(size)) == NULL)
			return 0;
		memcpy(ct, data + 1, size - 1);
		ct[size - 1] = '\0';
		err[0] = '\0';
		if (rw_content_type(ct, &v, err, sizeof(err)) == 0)
			REQUIRE(v == RW_V1 || v == RW_V2);
		else
			REQUIRE(err[0] != '\0');
		free(ct);
		return 0;
	}

	rw_limits_default(&lim);
	/* small enough for libFuzzer's memory limit, big enough to matter */
	lim.max_compressed = 1 << 20;
	lim.max_decoded = 4 << 20;
	lim.max_series = 10000;
	lim.max_labels = 32;
	lim.max_name_len = 256;
	lim.max_value_len = 1024;
	v = (data[0] & 1) ? RW_V2 : RW_V1;
	body = data + 1;
	len = size - 1;
	if (data[0] & 2) {
		len = snappy_max_compressed_length(size - 1);
		if ((z = malloc(len)) == NULL)
			return 0;
		if (snappy_compress((const char *)data + 1, size - 1, z,
		    &len) != SNAPPY_OK)
			abort();
		body = z;
	}
	st = rw_decode(body, len, v, &lim, &r, err, sizeof(err));
	path = rw__last_path();
	rst = rw__decode_reference(body, len, v, &lim, &ref, rerr,
	    sizeof(rerr));
	REQUIRE(st == rst);
	REQUIRE(strcmp(err, rerr) == 0);
	same_request(r, ref);
	rw_request_free(ref);
	if (st == RW_OK || st == RW_ERR_INVALID)
		REQUIRE(path == RW__PATH_FAST || path == RW__PATH_REFS ||
		    path == RW__PATH_BUDGET);
	else if (st == RW_ERR_PROTO || st == RW_ERR_TOO_LARGE)
		REQUIRE(path != RW__PATH_FAST);
	REQUIRE(rw_status_reason(st) != NULL);
	if (st == RW_OK || st == RW_ERR_INVALID) {
		REQUIRE(r != NULL);
		check_request(r, v, st);
		REQUIRE(st == RW_OK || err[0] != '\0');
	} else {
		REQUIRE(r == NULL);
		REQUIRE(err[0] != '\0');
	}
	rw_request_free(r);
	free(z);
	return 0;
}
