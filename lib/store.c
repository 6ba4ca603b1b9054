/* store.c -- dispatch from the storage interface to a backend (store.h). */
#include "store_impl.h"

#include <stdio.h>
#include <string.h>

static const struct store_backend *const backends[] = {
	&store__sqlite,
};

int
store_open(const char *backend, const char *path, struct store **out,
    char *err, size_t errlen)
{
	*out = NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, backend) == 0)
			return backends[i]->open(path, out, err, errlen);
	snprintf(err, errlen, "unknown storage backend \"%s\"", backend);
	return -1;
}

void
store_close(struct store *st)
{
	if (st != NULL)
		st->be->close(st);
}

int
store_put_notification(struct store *st, const struct wh_notification *n,
    int64_t received_ms, int64_t dedup_window_ms,
    struct store_put_result *res, char *err, size_t errlen)
{
	return st->be->put_notification(st, n, received_ms, dedup_window_ms,
	    res, err, errlen);
}

int
store_prune(struct store *st, int64_t cutoff_ms, struct store_prune_result *res,
    char *err, size_t errlen)
{
	return st->be->prune(st, cutoff_ms, res, err, errlen);
}

int
store_schema_version(struct store *st)
{
	return st->be->schema_version(st);
}
