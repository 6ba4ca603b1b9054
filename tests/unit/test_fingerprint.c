/* test_fingerprint.c -- lib/core/fingerprint.c against Prometheus' test vectors
 * (prometheus/common model/signature_test.go) and a real Alertmanager
 * webhook (tests/data/webhook_firing.json, captured from 0.25). */
#include <stdlib.h>

#include "fingerprint.h"
#include "t.h"

TEST(empty_set_is_offset_basis)
{
	uint64_t fp = 0;

	CHECK_INT(fp_labels(NULL, NULL, 0, NULL, 0, &fp), 0);
	CHECK(fp == FP_OFFSET64);
}

TEST(prometheus_vector)
{
	const char *n[] = { "name", "fear" };
	const char *v[] = { "garland, briggs", "love is not enough" };
	char s[17];
	uint64_t fp;

	CHECK_INT(fp_labels(n, v, 2, NULL, 0, &fp), 0);
	fp_format(fp, s);
	CHECK_STR(s, "507a62d79ee76c9a");
}

TEST(order_does_not_matter_and_drop_works)
{
	const char *n1[] = { "b", "a", "replica" }, *v1[] = { "2", "1", "x" };
	const char *n2[] = { "a", "b" }, *v2[] = { "1", "2" };
	const char *drop[] = { "replica" };
	uint64_t f1, f2, f3;

	fp_labels(n1, v1, 3, drop, 1, &f1);
	fp_labels(n2, v2, 2, NULL, 0, &f2);
	fp_labels(n1, v1, 3, NULL, 0, &f3);
	CHECK(f1 == f2);
	CHECK(f1 != f3);
}

TEST(matches_alertmanager_webhook)
{
	json_error_t e;
	json_t *root = json_load_file("tests/data/webhook_firing.json", 0, &e);
	size_t i;
	json_t *a;

	CHECK(root != NULL);
	if (root == NULL)
		return;
	json_array_foreach(json_object_get(root, "alerts"), i, a) {
		uint64_t fp;
		char s[17];

		CHECK_INT(fp_json(json_object_get(a, "labels"), NULL, 0, &fp), 0);
		fp_format(fp, s);
		CHECK_STR(s, json_string_value(json_object_get(a,
		    "fingerprint")));
	}
	json_decref(root);
}

TEST(parse_format_roundtrip)
{
	uint64_t fp;
	char s[17];

	CHECK_INT(fp_parse("66a0604812b1a02f", &fp), 0);
	fp_format(fp, s);
	CHECK_STR(s, "66a0604812b1a02f");
	CHECK_INT(fp_parse("66a0604812b1a02", &fp), -1);
	CHECK_INT(fp_parse("66a0604812b1a02f0", &fp), -1);
	CHECK_INT(fp_parse("66a0604812b1a02g", &fp), -1);
}

int
main(void)
{
	RUN(empty_set_is_offset_basis);
	RUN(prometheus_vector);
	RUN(order_does_not_matter_and_drop_works);
	RUN(matches_alertmanager_webhook);
	RUN(parse_format_roundtrip);
	return t_done();
}
