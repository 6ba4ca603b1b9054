/* notif.h -- the Alertmanager notifications the webhook benchmarks send
 * (whload) and store (sqlbase's baseline).
 *
 * Notification i is a real-shaped webhook payload, version "4" (alertmanager
 * notify/webhook/webhook.go Message): one alert group (alertname, cluster)
 * to one receiver, nalerts alerts with 9 labels and 3 annotations each, the
 * Alertmanager fingerprint of each alert's labels, startsAt advancing with
 * i. Identities recur: each group has NT_INSTANCES instances, so an alert
 * identity is notified again every few notifications of its group (joining
 * its open episode), and every fourth notification of a group is resolved,
 * closing them; payloads are never byte-identical, so none is a retry. */
#ifndef AN_BENCH_NOTIF_H
#define AN_BENCH_NOTIF_H

#include <stddef.h>
#include <stdint.h>

#define NT_MAX_ALERTS	64
#define NT_GROUPS	40	/* alertname x cluster groups */
#define NT_INSTANCES	50	/* instances per group */

struct nt_alert {
	int firing;
	char alertname[64];
	char labels[640];	/* JSON object, keys sorted */
	char annotations[640];	/* JSON object */
	char generator_url[256];
	char fingerprint[17];	/* of labels, %016x */
	int64_t starts_ms, ends_ms;	/* ends_ms 0: firing */
};

struct nt_notification {
	int firing;
	char receiver[64];
	char group_key[256];
	char group_labels[256];
	char common_labels[512];
	char common_annotations[64];
	char external_url[96];
	size_t nalerts;
	struct nt_alert alerts[NT_MAX_ALERTS];
};

/* Fills n with notification i (nalerts <= NT_MAX_ALERTS), times from
 * base_ms. */
void nt_build(size_t i, size_t nalerts, int64_t base_ms,
    struct nt_notification *n);

/* The webhook body of n, NUL-terminated; *len its length. The caller frees
 * it. */
char *nt_json(const struct nt_notification *n, size_t *len);

#endif
