/* amgen.h -- label sets generated for the routing tests (test_amroute.c,
 * test_ampatch.c): the values tests/data/amroute/alertmanager.yml
 * mentions, near misses of its regexes, and others, drawn from a seeded
 * generator so that every run routes the same sets. Included by one test
 * file each: everything here is static. */
#ifndef AN_TEST_AMGEN_H
#define AN_TEST_AMGEN_H

#include <stdint.h>
#include <string.h>

#include "amroute.h"

static uint64_t rng_state = 0x5eed0f12a11e7ULL;

/* splitmix64 */
static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The values the tree mentions, near misses of its regexes, and others. */
static const struct {
	const char	*name;
	int		 percent;	/* chance the label is present */
	const char	*values[16];
} gen[] = {
	{ "alertname", 90, { "Watchdog", "InfoInhibitor", "xWatchdog",
	    "NodeDown", "HostHighCPU", "NodeFilesystemFull", "ReplicationLag",
	    "replicationBroken", "MySQLReplicationStopped", "Disk\\Full",
	    "Multi\nLine", "ClusterDown", "HighLatency", "Host", NULL } },
	{ "severity", 80, { "critical", "warning", "info", "page", "none",
	    "Critical", "", NULL } },
	{ "env", 60, { "prod", "production", "staging", "dev", "prod-eu",
	    "", "preprod", NULL } },
	{ "team", 85, { "infra", "db", "payments", "fraud", "search",
	    "frontend", "ml", "sre", "security", "", "Infra",
	    "search|frontend", NULL } },
	{ "cluster", 50, { "eu-west-1", "eu-", "us-east-1", "us-west-22",
	    "us-east-", "us-central-1", "ap-south-1", "EU-west-1", NULL } },
	{ "service", 55, { "postgres", "postgres-test", "postgres-dev",
	    "postgres-prod", "mysql", "mysql-8", "checkout", "billing",
	    "checkout|billing", "search-api", NULL } },
	{ "region", 40, { "eu-west-1", "eu-central-1", "eu-north-1",
	    "us-east-1", NULL } },
	{ "instance", 45, { "db-1", "db-1x", "db-12", "x-replica",
	    "db-2-replica", "-replica", "replica", "host:9100", NULL } },
	{ "namespace", 50, { "web-shop", "web-", "kube-system", "ml-train",
	    "", "default", NULL } },
	{ "job", 40, { "train", "trainer", "training-job", "serve", "Train",
	    NULL } },
	{ "owner", 35, { "Zoë \"ops\" Müller", "zürich-team", "ZÜRICH",
	    "Zürich ops", "a,b", "a", "zurich", " spaced ", NULL } },
	{ "extra", 20, { "x", "y z", "'quoted'", NULL } },
};

#define NGEN	(sizeof(gen) / sizeof(gen[0]))

/* Labels that head for the deep branches, which independent draws reach
 * too rarely; 40% of the sets start from one, the other labels drawn. */
static const struct {
	const char	*name, *value;
} profiles[][3] = {
	{ { "team", "frontend" }, { "namespace", "web-shop" },
	    { "owner", "Zoë \"ops\" Müller" } },
	{ { "team", "frontend" }, { "namespace", "web-shop" },
	    { "owner", "Zürich ops" } },
	{ { "team", "payments" }, { "env", "prod" },
	    { "severity", "critical" } },
	{ { "team", "infra" }, { "severity", "critical" }, { NULL, NULL } },
	{ { "team", "db" }, { "service", "mysql" }, { "env", "prod" } },
	{ { "team", "ml" }, { "job", "train" }, { NULL, NULL } },
	{ { "team", "sre" }, { NULL, NULL }, { NULL, NULL } },
	{ { "team", "search" }, { "severity", "critical" }, { NULL, NULL } },
};

#define NPROFILES	(sizeof(profiles) / sizeof(profiles[0]))

struct gset {
	const char	*names[NGEN], *values[NGEN];
	struct am_labels ls;
};

static void
generate(struct gset *g)
{
	size_t n = 0, p = rng() % 100 < 40 ? rng() % NPROFILES : NPROFILES;

	for (size_t i = 0; i < NGEN; i++) {
		const char *v = NULL;
		size_t nv = 0;

		for (size_t k = 0; p < NPROFILES && k < 3; k++)
			if (profiles[p][k].name != NULL &&
			    strcmp(profiles[p][k].name, gen[i].name) == 0)
				v = profiles[p][k].value;
		if (v == NULL) {
			if (rng() % 100 >= (uint64_t)gen[i].percent)
				continue;
			while (gen[i].values[nv] != NULL)
				nv++;
			v = gen[i].values[rng() % nv];
		}
		g->names[n] = gen[i].name;
		g->values[n] = v;
		n++;
	}
	g->ls.names = g->names;
	g->ls.values = g->values;
	g->ls.n = n;
}

#endif
