/* webhook.c -- Alertmanager webhook payload parsing (see webhook.h). */
#include "webhook.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "timefmt.h"

/* The canonical JSON text: the digest's, and what the store keeps. */
#define DUMP_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

static const char *const reasons[] = {
	[WH_OK] = "ok",
	[WH_ERR_JSON] = "invalid_json",
	[WH_ERR_FIELD] = "missing_field",
	[WH_ERR_VERSION] = "bad_version",
	[WH_ERR_VALUE] = "bad_value",
	[WH_ERR_TIMESTAMP] = "bad_timestamp",
	[WH_ERR_FINGERPRINT] = "fingerprint_mismatch",
	[WH_ERR_NOMEM] = "out_of_memory",
};

const char *
wh_error_reason(enum wh_error e)
{
	return e <= WH_ERR_NOMEM ? reasons[e] : "unknown";
}

static enum wh_error
fail(enum wh_error e, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return e;
}

/* Fetches a required string member. */
static enum wh_error
get_string(json_t *obj, const char *key, const char *where, const char **out,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return fail(WH_ERR_FIELD, err, errlen, "%s%s: missing", where, key);
	if (!json_is_string(v))
		return fail(WH_ERR_FIELD, err, errlen, "%s%s: not a string",
		    where, key);
	*out = json_string_value(v);
	return WH_OK;
}

/* An optional string member: "" when absent or null. */
static enum wh_error
get_opt_string(json_t *obj, const char *key, const char *where,
    const char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	*out = "";
	if (v == NULL || json_is_null(v))
		return WH_OK;
	if (!json_is_string(v))
		return fail(WH_ERR_FIELD, err, errlen, "%s%s: not a string",
		    where, key);
	*out = json_string_value(v);
	return WH_OK;
}

/* A label or annotation set: an object of strings. An absent or null one
 * becomes an empty object owned by obj. Labels need non-empty names. */
/* Prometheus' and Alertmanager 0.25's label names: [a-zA-Z_][a-zA-Z0-9_]*
 * (model.LabelName.IsValid). Alertmanager refuses an alert with any other,
 * so one in a webhook was never sent by it. */
static int
label_name_valid(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

static enum wh_error
get_kv(json_t *obj, const char *key, const char *where, int required,
    int is_labels, json_t **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key), *val;
	const char *name;

	if (v == NULL || json_is_null(v)) {
		if (required)
			return fail(WH_ERR_FIELD, err, errlen, "%s%s: missing",
			    where, key);
		if ((v = json_object()) == NULL ||
		    json_object_set_new(obj, key, v) < 0)
			return fail(WH_ERR_NOMEM, err, errlen, "out of memory");
	}
	if (!json_is_object(v))
		return fail(WH_ERR_FIELD, err, errlen, "%s%s: not an object",
		    where, key);
	json_object_foreach(v, name, val) {
		if (!json_is_string(val))
			return fail(WH_ERR_VALUE, err, errlen,
			    "%s%s.%s: value is not a string", where, key, name);
		if (is_labels && *name == '\0')
			return fail(WH_ERR_VALUE, err, errlen,
			    "%s%s: empty label name", where, key);
		if (is_labels && !label_name_valid(name))
			return fail(WH_ERR_VALUE, err, errlen,
			    "%s%s: invalid label name \"%.64s\": want "
			    "[a-zA-Z_][a-zA-Z0-9_]*", where, key, name);
	}
	*out = v;
	return WH_OK;
}

static enum wh_error
get_status(json_t *obj, const char *where, enum wh_status *out, char *err,
    size_t errlen)
{
	const char *s;
	enum wh_error e;

	if ((e = get_string(obj, "status", where, &s, err, errlen)) != WH_OK)
		return e;
	if (strcmp(s, "firing") == 0)
		*out = WH_FIRING;
	else if (strcmp(s, "resolved") == 0)
		*out = WH_RESOLVED;
	else
		return fail(WH_ERR_VALUE, err, errlen,
		    "%sstatus: \"%s\" is neither \"firing\" nor \"resolved\"",
		    where, s);
	return WH_OK;
}

/* A timestamp; Go's zero time and an absent optional one give 0. */
static enum wh_error
get_time(json_t *obj, const char *key, const char *where, int required,
    int64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	int64_t ms;

	*out = 0;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return fail(WH_ERR_FIELD, err, errlen, "%s%s: missing",
			    where, key);
		return WH_OK;
	}
	if (!json_is_string(v))
		return fail(WH_ERR_FIELD, err, errlen, "%s%s: not a string",
		    where, key);
	s = json_string_value(v);
	if (ts_parse_rfc3339(s, &ms) < 0)
		return fail(WH_ERR_TIMESTAMP, err, errlen,
		    "%s%s: bad RFC 3339 timestamp \"%.64s\"", where, key, s);
	if (ms <= TS_GO_ZERO_MS) {
		if (required)
			return fail(WH_ERR_TIMESTAMP, err, errlen,
			    "%s%s: zero time", where, key);
		ms = 0;
	}
	*out = ms;
	return WH_OK;
}

static enum wh_error
parse_alert(json_t *a, size_t i, const char *const *replica, size_t nreplica,
    struct wh_alert *out, char *err, size_t errlen)
{
	char where[48], fps[17];
	const char *given = NULL;
	json_t *name;
	enum wh_error e;

	snprintf(where, sizeof(where), "alerts[%zu].", i);
	if (!json_is_object(a))
		return fail(WH_ERR_FIELD, err, errlen, "alerts[%zu]: not an object", i);
	if ((e = get_status(a, where, &out->status, err, errlen)) ||
	    (e = get_kv(a, "labels", where, 1, 1, &out->labels, err, errlen)) ||
	    (e = get_kv(a, "annotations", where, 0, 0, &out->annotations, err,
	    errlen)) ||
	    (e = get_time(a, "startsAt", where, 1, &out->starts_ms, err, errlen)) ||
	    (e = get_time(a, "endsAt", where, 0, &out->ends_ms, err, errlen)) ||
	    (e = get_opt_string(a, "generatorURL", where, &out->generator_url,
	    err, errlen)))
		return e;
	if (json_object_size(out->labels) == 0)
		return fail(WH_ERR_VALUE, err, errlen, "%slabels: empty", where);
	if (out->status == WH_RESOLVED && out->ends_ms == 0)
		return fail(WH_ERR_TIMESTAMP, err, errlen,
		    "%sendsAt: a resolved alert needs an end time", where);
	if (out->ends_ms != 0 && out->ends_ms < out->starts_ms)
		return fail(WH_ERR_TIMESTAMP, err, errlen,
		    "%sendsAt: before startsAt", where);
	name = json_object_get(out->labels, "alertname");
	if (name == NULL || *json_string_value(name) == '\0')
		return fail(WH_ERR_VALUE, err, errlen,
		    "%slabels.alertname: %s: every alert needs its name",
		    where, name == NULL ? "missing" : "empty");
	out->alertname = json_string_value(name);
	if (out->starts_ms < 0 || out->starts_ms > ts_now_ms() +
	    WH_FUTURE_MAX_MS)
		return fail(WH_ERR_TIMESTAMP, err, errlen,
		    "%sstartsAt: %s", where, out->starts_ms < 0 ?
		    "before 1970" : "more than 10m in the future");
	if ((out->identity_labels = json_copy(out->labels)) == NULL)
		return fail(WH_ERR_NOMEM, err, errlen, "out of memory");
	for (size_t r = 0; r < nreplica; r++)
		json_object_del(out->identity_labels, replica[r]);
	if (fp_json(out->labels, NULL, 0, &out->fingerprint) < 0 ||
	    fp_json(out->identity_labels, NULL, 0, &out->identity) < 0)
		return fail(WH_ERR_NOMEM, err, errlen, "out of memory");
	if ((e = get_opt_string(a, "fingerprint", where, &given, err, errlen)))
		return e;
	out->fingerprint_given = *given != '\0';
	if (out->fingerprint_given) {
		uint64_t fp;

		fp_format(out->fingerprint, fps);
		if (fp_parse(given, &fp) < 0 || fp != out->fingerprint)
			return fail(WH_ERR_FINGERPRINT, err, errlen,
			    "%sfingerprint: \"%.32s\" does not match the labels "
			    "(computed %s)", where, given, fps);
	}
	if ((out->labels_json = json_dumps(out->labels, DUMP_FLAGS)) == NULL ||
	    (out->annotations_json = json_dumps(out->annotations,
	    DUMP_FLAGS)) == NULL)
		return fail(WH_ERR_NOMEM, err, errlen, "out of memory");
	return WH_OK;
}

static int
fnv_dump(const char *buf, size_t len, void *arg)
{
	uint64_t *h = arg;

	for (size_t i = 0; i < len; i++) {
		*h ^= (unsigned char)buf[i];
		*h *= FP_PRIME64;
	}
	return 0;
}

/* FNV-1a of the canonical text (json_dumps(root, DUMP_FLAGS)), hashed as
 * it is written rather than built first. */
static uint64_t
digest_of(json_t *root)
{
	uint64_t h = FP_OFFSET64;

	if (json_dump_callback(root, fnv_dump, &h, DUMP_FLAGS) < 0)
		return 0;
	return h;
}

static uint64_t
fnv_str(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= FP_PRIME64;
	}
	h ^= 0xff;
	return h * FP_PRIME64;
}

static uint64_t
fnv_u64(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (i * 8)) & 0xff;
		h *= FP_PRIME64;
	}
	return h;
}

/* What two Alertmanagers of an HA pair send alike: not externalURL. */
static uint64_t
content_digest_of(const struct wh_notification *n)
{
	uint64_t h = FP_OFFSET64;

	h = fnv_str(h, n->receiver);
	h = fnv_str(h, n->status == WH_FIRING ? "firing" : "resolved");
	h = fnv_str(h, n->group_key);
	for (size_t i = 0; i < n->nalerts; i++) {
		const struct wh_alert *a = &n->alerts[i];

		h = fnv_u64(h, a->fingerprint);
		h = fnv_u64(h, (uint64_t)a->status);
		h = fnv_u64(h, (uint64_t)a->starts_ms);
		h = fnv_u64(h, (uint64_t)a->ends_ms);
	}
	return h;
}

enum wh_error
wh_parse(const char *body, size_t len, const char *const *replica,
    size_t nreplica, struct wh_notification **out, char *err, size_t errlen)
{
	struct wh_notification *n;
	json_error_t jerr;
	json_t *alerts, *tr;
	const char *version;
	enum wh_error e;

	*out = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return fail(WH_ERR_NOMEM, err, errlen, "out of memory");
	n->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (n->root == NULL) {
		e = fail(WH_ERR_JSON, err, errlen, "invalid JSON at line %d "
		    "column %d: %s", jerr.line, jerr.column, jerr.text);
		goto bad;
	}
	if (!json_is_object(n->root)) {
		e = fail(WH_ERR_JSON, err, errlen, "payload is not a JSON object");
		goto bad;
	}
	/* the digest is of what was sent, before defaults are filled in */
	n->digest = digest_of(n->root);
	if ((e = get_string(n->root, "version", "", &version, err, errlen)))
		goto bad;
	if (strcmp(version, "4") != 0) {
		e = fail(WH_ERR_VERSION, err, errlen,
		    "version: \"%.16s\" is not supported (want \"4\")", version);
		goto bad;
	}
	if ((e = get_string(n->root, "receiver", "", &n->receiver, err, errlen)) ||
	    (e = get_status(n->root, "", &n->status, err, errlen)) ||
	    (e = get_string(n->root, "groupKey", "", &n->group_key, err, errlen)) ||
	    (e = get_opt_string(n->root, "externalURL", "", &n->external_url,
	    err, errlen)) ||
	    (e = get_kv(n->root, "groupLabels", "", 0, 1, &n->group_labels,
	    err, errlen)) ||
	    (e = get_kv(n->root, "commonLabels", "", 0, 1, &n->common_labels,
	    err, errlen)) ||
	    (e = get_kv(n->root, "commonAnnotations", "", 0, 0,
	    &n->common_annotations, err, errlen)))
		goto bad;
	if (*n->receiver == '\0') {
		e = fail(WH_ERR_VALUE, err, errlen, "receiver: empty");
		goto bad;
	}
	if (strlen(n->receiver) > WH_RECEIVER_MAX) {
		e = fail(WH_ERR_VALUE, err, errlen, "receiver: longer than %d "
		    "bytes", WH_RECEIVER_MAX);
		goto bad;
	}
	tr = json_object_get(n->root, "truncatedAlerts");
	if (tr != NULL && !json_is_null(tr)) {
		if (!json_is_integer(tr) || json_integer_value(tr) < 0) {
			e = fail(WH_ERR_VALUE, err, errlen,
			    "truncatedAlerts: not a non-negative integer");
			goto bad;
		}
		n->truncated_alerts = json_integer_value(tr);
	}
	alerts = json_object_get(n->root, "alerts");
	if (alerts == NULL) {
		e = fail(WH_ERR_FIELD, err, errlen, "alerts: missing");
		goto bad;
	}
	if (!json_is_array(alerts)) {
		e = fail(WH_ERR_FIELD, err, errlen, "alerts: not an array");
		goto bad;
	}
	n->nalerts = json_array_size(alerts);
	if (n->nalerts == 0) {
		e = fail(WH_ERR_VALUE, err, errlen, "alerts: empty");
		goto bad;
	}
	if ((n->alerts = calloc(n->nalerts, sizeof(*n->alerts))) == NULL) {
		e = fail(WH_ERR_NOMEM, err, errlen, "out of memory");
		goto bad;
	}
	for (size_t i = 0; i < n->nalerts; i++) {
		e = parse_alert(json_array_get(alerts, i), i, replica, nreplica,
		    &n->alerts[i], err, errlen);
		if (e != WH_OK)
			goto bad;
	}
	n->content_digest = content_digest_of(n);
	if ((n->group_labels_json = json_dumps(n->group_labels,
	    DUMP_FLAGS)) == NULL ||
	    (n->common_labels_json = json_dumps(n->common_labels,
	    DUMP_FLAGS)) == NULL ||
	    (n->common_annotations_json = json_dumps(n->common_annotations,
	    DUMP_FLAGS)) == NULL) {
		e = fail(WH_ERR_NOMEM, err, errlen, "out of memory");
		goto bad;
	}
	*out = n;
	return WH_OK;
bad:
	wh_free(n);
	return e;
}

void
wh_free(struct wh_notification *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; n->alerts != NULL && i < n->nalerts; i++) {
		json_decref(n->alerts[i].identity_labels);
		free(n->alerts[i].labels_json);
		free(n->alerts[i].annotations_json);
	}
	free(n->group_labels_json);
	free(n->common_labels_json);
	free(n->common_annotations_json);
	json_decref(n->root);
	free(n->alerts);
	free(n);
}
