/* test_webhook.c -- lib/decode/webhook.c on real Alertmanager 0.25 payloads
 * (tests/data/webhook_*.json) and on each class of bad input. */
#include <stdio.h>
#include <stdlib.h>

#include "fingerprint.h"
#include "t.h"
#include "webhook.h"

static const char *const replica[] = { "replica", "prometheus_replica" };

static enum wh_error
parse(const char *s, struct wh_notification **n, char *err)
{
	return wh_parse(s, strlen(s), replica, 2, n, err, 256);
}

TEST(real_firing_payload)
{
	struct wh_notification *n = NULL;
	char err[256], fp[17];
	size_t len;
	char *body = t_read_file("tests/data/webhook_firing.json", &len);

	CHECK(body != NULL);
	CHECK_INT(wh_parse(body, len, replica, 2, &n, err, sizeof(err)), WH_OK);
	if (n == NULL) {
		free(body);
		return;
	}
	CHECK_STR(n->receiver, "wh");
	CHECK_INT(n->status, WH_FIRING);
	CHECK_STR(n->group_key, "{}:{alertname=\"DiskFull\"}");
	CHECK_STR(n->external_url, "http://vm:19093");
	CHECK_INT(n->nalerts, 2);
	CHECK_STR(n->alerts[0].alertname, "DiskFull");
	CHECK_INT(n->alerts[0].starts_ms, 1795729364000LL);
	CHECK_INT(n->alerts[0].ends_ms, 0);	/* Go zero time */
	CHECK_STR(n->alerts[0].generator_url, "http://prom:9090/graph");
	CHECK(n->alerts[0].fingerprint_given);
	fp_format(n->alerts[0].fingerprint, fp);
	CHECK_STR(fp, "66a0604812b1a02f");
	/* identity drops the replica label */
	CHECK(n->alerts[0].identity != n->alerts[0].fingerprint);
	CHECK(json_object_get(n->alerts[0].identity_labels, "replica") == NULL);
	CHECK_INT(json_object_size(n->alerts[0].identity_labels), 3);
	wh_free(n);
	free(body);
}

TEST(real_resolved_payload)
{
	struct wh_notification *n = NULL;
	char err[256];
	size_t len;
	char *body = t_read_file("tests/data/webhook_resolved_one.json", &len);

	CHECK_INT(wh_parse(body, len, replica, 2, &n, err, sizeof(err)), WH_OK);
	if (n != NULL) {
		CHECK_INT(n->alerts[0].status, WH_RESOLVED);
		CHECK_INT(n->alerts[0].ends_ms, 1795729369000LL);
		CHECK_INT(n->alerts[1].status, WH_FIRING);
	}
	wh_free(n);
	free(body);
}

TEST(fingerprint_computed_when_absent)
{
	struct wh_notification *n = NULL;
	char err[256];
	const char *s = "{\"version\":\"4\",\"receiver\":\"r\",\"status\":"
	    "\"firing\",\"groupKey\":\"{}\",\"alerts\":[{\"status\":\"firing\","
	    "\"labels\":{\"alertname\":\"Garland\",\"fear\":\"love is not "
	    "enough\",\"name\":\"garland, briggs\"},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}";
	char fp[17];

	CHECK_INT(parse(s, &n, err), WH_OK);
	if (n == NULL)
		return;
	CHECK(!n->alerts[0].fingerprint_given);
	fp_format(n->alerts[0].fingerprint, fp);
	CHECK_STR(fp, "96b459484ef4f430");
	wh_free(n);
}

TEST(digest_ignores_key_order_not_content)
{
	struct wh_notification *a = NULL, *b = NULL, *c = NULL;
	char err[256];

	parse("{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	    "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	    "{\"alertname\":\"A\",\"a\":\"1\"},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", &a, err);
	parse("{\"receiver\":\"r\",\"version\":\"4\",\"groupKey\":\"k\","
	    "\"status\":\"firing\",\"alerts\":[{\"labels\":{\"alertname\":\"A\",\"a\":\"1\"},"
	    "\"status\":\"firing\",\"startsAt\":\"2026-01-01T00:00:00Z\"}]}",
	    &b, err);
	parse("{\"version\":\"4\",\"receiver\":\"r2\",\"status\":\"firing\","
	    "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	    "{\"alertname\":\"A\",\"a\":\"1\"},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", &c, err);
	CHECK(a && b && c);
	if (a && b && c) {
		CHECK(a->digest == b->digest);
		CHECK(a->digest != c->digest);
	}
	wh_free(a);
	wh_free(b);
	wh_free(c);
}

/* Each bad payload: the reason and the start of the message. */
static const struct {
	const char *body;
	enum wh_error want;
	const char *msg;
} bad[] = {
	{ "{\"version\":", WH_ERR_JSON, "invalid JSON at line 1" },
	{ "[1,2]", WH_ERR_JSON, "payload is not a JSON object" },
	{ "{\"receiver\":\"r\"}", WH_ERR_FIELD, "version: missing" },
	{ "{\"version\":\"3\",\"receiver\":\"r\"}", WH_ERR_VERSION,
	  "version: \"3\" is not supported" },
	{ "{\"version\":\"4\",\"status\":\"firing\",\"groupKey\":\"k\","
	  "\"alerts\":[]}", WH_ERR_FIELD, "receiver: missing" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"burning\","
	  "\"groupKey\":\"k\",\"alerts\":[]}", WH_ERR_VALUE,
	  "status: \"burning\" is neither" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\"}", WH_ERR_FIELD, "alerts: missing" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\",\"alerts\":[]}", WH_ERR_VALUE, "alerts: empty" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	  "{\"alertname\":\"A\",\"a\":\"1\"},\"startsAt\":\"yesterday\"}]}", WH_ERR_TIMESTAMP,
	  "alerts[0].startsAt: bad RFC 3339 timestamp \"yesterday\"" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	  "{\"alertname\":\"A\",\"a\":\"1\"}}]}", WH_ERR_FIELD, "alerts[0].startsAt: missing" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"resolved\","
	  "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"resolved\",\"labels\":"
	  "{\"alertname\":\"A\",\"a\":\"1\"},\"startsAt\":\"2026-01-01T00:00:00Z\",\"endsAt\":"
	  "\"0001-01-01T00:00:00Z\"}]}", WH_ERR_TIMESTAMP,
	  "alerts[0].endsAt: a resolved alert needs an end time" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	  "{\"a\":1},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", WH_ERR_VALUE,
	  "alerts[0].labels.a: value is not a string" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	  "{},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}", WH_ERR_VALUE,
	  "alerts[0].labels: empty" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	  "{\"alertname\":\"A\",\"a\":\"1\"},\"startsAt\":\"2026-01-01T00:00:00Z\","
	  "\"fingerprint\":\"0000000000000001\"}]}", WH_ERR_FINGERPRINT,
	  "alerts[0].fingerprint: \"0000000000000001\" does not match" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	  "{\"alertname\":\"A\",\"a-b\":\"1\"},\"startsAt\":"
	  "\"2026-01-01T00:00:00Z\"}]}", WH_ERR_VALUE,
	  "alerts[0].labels: invalid label name \"a-b\"" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	  "{\"a\":\"1\"},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}",
	  WH_ERR_VALUE, "alerts[0].labels.alertname: missing" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	  "{\"alertname\":\"\"},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}",
	  WH_ERR_VALUE, "alerts[0].labels.alertname: empty" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	  "{\"alertname\":\"A\"},\"startsAt\":\"0002-01-02T00:00:00Z\"}]}",
	  WH_ERR_TIMESTAMP, "alerts[0].startsAt: before 1970" },
	{ "{\"version\":\"4\",\"receiver\":\"r\",\"status\":\"firing\","
	  "\"groupKey\":\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	  "{\"alertname\":\"A\"},\"startsAt\":\"9999-01-01T00:00:00Z\"}]}",
	  WH_ERR_TIMESTAMP, "alerts[0].startsAt: more than 10m in the future" },
	{ "{\"version\":\"4\",\"version\":\"4\"}", WH_ERR_JSON,
	  "invalid JSON" },
};

TEST(bad_payloads_are_rejected_with_reason)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wh_notification *n = (void *)1;
		char err[256] = "";
		enum wh_error e = parse(bad[i].body, &n, err);

		if (e != bad[i].want)
			T_FAIL("case %zu: got %s, want %s (%s)", i,
			    wh_error_reason(e), wh_error_reason(bad[i].want),
			    err);
		if (strncmp(err, bad[i].msg, strlen(bad[i].msg)) != 0)
			T_FAIL("case %zu: message \"%s\", want \"%s...\"", i,
			    err, bad[i].msg);
		CHECK(n == NULL);
	}
}

/* A receiver is a label of /metrics and a key of the store: at most
 * WH_RECEIVER_MAX (1 KiB) bytes, a longer one is bad_value. */
TEST(receiver_length_capped)
{
	static const char head[] = "{\"version\":\"4\",\"receiver\":\"";
	static const char tail[] = "\",\"status\":\"firing\",\"groupKey\":"
	    "\"k\",\"alerts\":[{\"status\":\"firing\",\"labels\":"
	    "{\"alertname\":\"A\"},\"startsAt\":\"2026-01-01T00:00:00Z\"}]}";
	char body[sizeof(head) + 1025 + sizeof(tail)];
	struct wh_notification *n = NULL;
	char err[256] = "";

	for (size_t len = 1024; len <= 1025; len++) {
		memcpy(body, head, sizeof(head) - 1);
		memset(body + sizeof(head) - 1, 'r', len);
		strcpy(body + sizeof(head) - 1 + len, tail);
		n = NULL;
		err[0] = '\0';
		if (len == 1024) {
			CHECK_INT(parse(body, &n, err), WH_OK);
			CHECK(n != NULL && strlen(n->receiver) == 1024);
		} else {
			CHECK_INT(parse(body, &n, err), WH_ERR_VALUE);
			CHECK_STR(err, "receiver: longer than 1024 bytes");
			CHECK(n == NULL);
		}
		wh_free(n);
	}
}

int
main(void)
{
	RUN(real_firing_payload);
	RUN(real_resolved_payload);
	RUN(fingerprint_computed_when_absent);
	RUN(digest_ignores_key_order_not_content);
	RUN(bad_payloads_are_rejected_with_reason);
	RUN(receiver_length_capped);
	return t_done();
}
