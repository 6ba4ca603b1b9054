/* webhook.h -- Alertmanager webhook payloads (version "4").
 *
 * Reference: alertmanager notify/webhook/webhook.go (Message) and
 * template/template.go (Data, Alert). One payload is one notification of one
 * alert group to one receiver. wh_parse validates the whole payload before the
 * caller stores anything, so a rejected request stores nothing. */
#ifndef AN_WEBHOOK_H
#define AN_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum wh_status { WH_FIRING, WH_RESOLVED };

struct wh_alert {
	enum wh_status status;
	json_t *labels;		/* borrowed from the notification's root */
	json_t *annotations;	/* borrowed; an empty object when absent */
	json_t *identity_labels;/* labels minus the replica labels; owned */
	const char *alertname;	/* labels.alertname, "" when absent */
	const char *generator_url;	/* "" when absent */
	int64_t starts_ms;
	int64_t ends_ms;	/* 0 when unset (Go's zero time) */
	uint64_t fingerprint;	/* of all labels: Alertmanager's */
	uint64_t identity;	/* of the labels minus the replica labels */
	int fingerprint_given;	/* the payload carried a fingerprint */
	/* labels and annotations as JSON text, keys sorted, compact: what
	 * the store keeps, made by wh_parse so that the store's write
	 * transaction need not; owned. NULL: the store serializes. */
	char *labels_json, *annotations_json;
};

struct wh_notification {
	json_t *root;		/* owns every json_t below */
	const char *receiver;
	enum wh_status status;
	const char *group_key;
	const char *external_url;	/* "" when absent */
	json_t *group_labels, *common_labels, *common_annotations;
	int64_t truncated_alerts;
	struct wh_alert *alerts;
	size_t nalerts;
	uint64_t digest;	/* of the canonical payload: equal for a retry */
	uint64_t content_digest;/* of receiver, group and alerts only: equal
				   for the copies HA Alertmanagers send */
	/* group_labels, common_labels and common_annotations as JSON text,
	 * as labels_json of an alert; owned, NULL: the store serializes */
	char *group_labels_json, *common_labels_json;
	char *common_annotations_json;
};

/* Reasons a payload is rejected; the daemon counts rejections by these. */
/* How far ahead of the daemon's clock an alert may start (startsAt); as
 * Prometheus' out-of-bounds, a sender whose clock is that far ahead is
 * refused rather than stored. */
#define WH_FUTURE_MAX_MS (10 * 60 * 1000)

/* The longest receiver name accepted, in bytes: a receiver is a label of
 * the metrics and a key of the store, and Alertmanager's are short names
 * from its configuration. */
#define WH_RECEIVER_MAX 1024

enum wh_error {
	WH_OK = 0,
	WH_ERR_JSON,		/* "invalid_json": not JSON */
	WH_ERR_FIELD,		/* "missing_field" / wrong type */
	WH_ERR_VERSION,		/* "bad_version" */
	WH_ERR_VALUE,		/* "bad_value": bad status, labels, ... */
	WH_ERR_TIMESTAMP,	/* "bad_timestamp" */
	WH_ERR_FINGERPRINT,	/* "fingerprint_mismatch" */
	WH_ERR_NOMEM,
};

/* The metric label for an error ("invalid_json", ...). */
const char *wh_error_reason(enum wh_error e);

/* Parses and validates len bytes of body. replica_labels are dropped from
 * each alert's labels to compute its identity. On success returns WH_OK and
 * *out, which the caller frees with wh_free. On failure returns the reason,
 * writes a message for the sender into err ("alerts[2].startsAt: bad RFC 3339
 * timestamp \"x\"") and leaves *out NULL. */
enum wh_error wh_parse(const char *body, size_t len,
    const char *const *replica_labels, size_t nreplica,
    struct wh_notification **out, char *err, size_t errlen);

void wh_free(struct wh_notification *n);

#endif
