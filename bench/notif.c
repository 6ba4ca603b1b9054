/* notif.c -- benchmark webhook notifications (notif.h). */
#include "notif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "fingerprint.h"

static const char *const alertnames[] = {
	"KubePodCrashLooping", "KubePodNotReady", "KubeDeploymentReplicasMismatch",
	"KubeContainerWaiting", "KubeJobFailed", "NodeFilesystemSpaceFillingUp",
	"NodeFilesystemAlmostOutOfSpace", "NodeNetworkReceiveErrs",
	"NodeHighNumberConntrackEntriesUsed", "NodeClockNotSynchronising",
	"TargetDown", "CPUThrottlingHigh", "KubeMemoryOvercommit",
	"KubePersistentVolumeFillingUp", "etcdHighNumberOfFailedGRPCRequests",
	"PrometheusRuleFailures", "AlertmanagerFailedToSendAlerts",
	"HighErrorRate", "HighLatencyP99", "BlackboxProbeFailed",
};
#define NNAMES (sizeof(alertnames) / sizeof(alertnames[0]))

static void
rfc3339(int64_t ms, char *out, size_t len)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
	    tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
	    tm.tm_sec % 100, (int)(ms % 1000));
}

void
nt_build(size_t i, size_t nalerts, int64_t base_ms, struct nt_notification *n)
{
	static const char *const sev[] = { "critical", "warning" };
	size_t g = i % NT_GROUPS, round = i / NT_GROUPS;
	const char *an = alertnames[g % NNAMES];
	char cluster[32], team[16], ns[24];
	const char *severity = sev[g % 2];

	if (nalerts > NT_MAX_ALERTS)
		nalerts = NT_MAX_ALERTS;
	memset(n, 0, sizeof(*n));
	snprintf(cluster, sizeof(cluster), "prod-%s-1",
	    g / NNAMES ? "us-east" : "eu-west");
	snprintf(team, sizeof(team), "team-%02zu", g % 7);
	snprintf(ns, sizeof(ns), "payments-%zu", g % 5);
	n->firing = round % 4 != 3;
	snprintf(n->receiver, sizeof(n->receiver), "%s",
	    g % 2 == 0 ? "pager" : "slack-platform");
	snprintf(n->group_key, sizeof(n->group_key),
	    "{}/{severity=~\"^(?:critical|warning)$\"}:{alertname=\"%s\", "
	    "cluster=\"%s\"}", an, cluster);
	snprintf(n->group_labels, sizeof(n->group_labels),
	    "{\"alertname\":\"%s\",\"cluster\":\"%s\"}", an, cluster);
	snprintf(n->common_labels, sizeof(n->common_labels),
	    "{\"alertname\":\"%s\",\"cluster\":\"%s\",\"job\":"
	    "\"node-exporter\",\"namespace\":\"%s\",\"prometheus\":"
	    "\"monitoring/k8s\",\"severity\":\"%s\",\"team\":\"%s\"}", an,
	    cluster, ns, severity, team);
	snprintf(n->common_annotations, sizeof(n->common_annotations), "{}");
	snprintf(n->external_url, sizeof(n->external_url),
	    "http://alertmanager-main-0.alertmanager-operated:9093");
	n->nalerts = nalerts;
	for (size_t j = 0; j < nalerts; j++) {
		struct nt_alert *a = &n->alerts[j];
		size_t inst = (round * nalerts + j) % NT_INSTANCES;
		char instance[32], pod[48];
		const char *names[9] = { "alertname", "cluster", "instance",
		    "job", "namespace", "pod", "prometheus", "severity", "team" };
		const char *values[9];
		uint64_t fp;

		snprintf(instance, sizeof(instance), "10.%zu.%zu.%zu:9100", g,
		    inst / 250, inst % 250 + 1);
		snprintf(pod, sizeof(pod), "node-exporter-%05zx-%c%c%c%c%c",
		    g * 1000 + inst, 'a' + (int)(inst % 26),
		    'a' + (int)(g % 26), 'k', 'q', 'z');
		values[0] = an;
		values[1] = cluster;
		values[2] = instance;
		values[3] = "node-exporter";
		values[4] = ns;
		values[5] = pod;
		values[6] = "monitoring/k8s";
		values[7] = severity;
		values[8] = team;
		fp_labels(names, values, 9, NULL, 0, &fp);
		a->firing = n->firing;
		snprintf(a->alertname, sizeof(a->alertname), "%s", an);
		snprintf(a->labels, sizeof(a->labels),
		    "{\"alertname\":\"%s\",\"cluster\":\"%s\",\"instance\":"
		    "\"%s\",\"job\":\"node-exporter\",\"namespace\":\"%s\","
		    "\"pod\":\"%s\",\"prometheus\":\"monitoring/k8s\","
		    "\"severity\":\"%s\",\"team\":\"%s\"}", an, cluster,
		    instance, ns, pod, severity, team);
		snprintf(a->annotations, sizeof(a->annotations),
		    "{\"description\":\"%s on %s (%s) has been above its "
		    "threshold for more than 5 minutes. Current value: %zu.%zu%%."
		    "\",\"runbook_url\":\"https://runbooks.example.com/%s\","
		    "\"summary\":\"%s firing on %s\"}", an, instance, pod,
		    80 + inst % 20, i % 10, an, an, instance);
		snprintf(a->generator_url, sizeof(a->generator_url),
		    "http://prometheus-k8s-0:9090/graph?g0.expr=%s%%7Bjob%%3D%%22"
		    "node-exporter%%22%%7D+%%3E+0.9&g0.tab=1", an);
		fp_format(fp, a->fingerprint);
		a->starts_ms = base_ms + (int64_t)i * 1000 + (int64_t)j;
		a->ends_ms = n->firing ? 0 : a->starts_ms + 30000;
	}
}

char *
nt_json(const struct nt_notification *n, size_t *len)
{
	size_t cap = 4096 + n->nalerts * 2048, off = 0;
	char *out = bn_xmalloc(cap);

	off += (size_t)snprintf(out + off, cap - off,
	    "{\"receiver\":\"%s\",\"status\":\"%s\",\"alerts\":[", n->receiver,
	    n->firing ? "firing" : "resolved");
	for (size_t j = 0; j < n->nalerts; j++) {
		const struct nt_alert *a = &n->alerts[j];
		char starts[40], ends[40];

		rfc3339(a->starts_ms, starts, sizeof(starts));
		if (a->ends_ms)
			rfc3339(a->ends_ms, ends, sizeof(ends));
		else
			snprintf(ends, sizeof(ends), "0001-01-01T00:00:00Z");
		off += (size_t)snprintf(out + off, cap - off,
		    "%s{\"status\":\"%s\",\"labels\":%s,\"annotations\":%s,"
		    "\"startsAt\":\"%s\",\"endsAt\":\"%s\",\"generatorURL\":"
		    "\"%s\",\"fingerprint\":\"%s\"}", j ? "," : "",
		    a->firing ? "firing" : "resolved", a->labels,
		    a->annotations, starts, ends, a->generator_url,
		    a->fingerprint);
	}
	off += (size_t)snprintf(out + off, cap - off,
	    "],\"groupLabels\":%s,\"commonLabels\":%s,\"commonAnnotations\":"
	    "%s,\"externalURL\":\"%s\",\"version\":\"4\",\"groupKey\":\"",
	    n->group_labels, n->common_labels, n->common_annotations,
	    n->external_url);
	for (const char *p = n->group_key; *p; p++) {	/* JSON-escape */
		if (*p == '"' || *p == '\\')
			out[off++] = '\\';
		out[off++] = *p;
	}
	off += (size_t)snprintf(out + off, cap - off,
	    "\",\"truncatedAlerts\":0}");
	*len = off;
	return out;
}
