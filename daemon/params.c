/* params.c -- the read API's query parameters (params.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "params.h"

/* Unknown names an error message quotes; the others are counted. */
#define UNKNOWN_NAMED	3
/* How much of a name or value a message quotes. */
#define QUOTE_MAX	64

/* Whether name is one of the space-separated words of list. */
static int
listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (*list != '\0') {
		size_t w = strcspn(list, " ");

		if (w == n && memcmp(list, name, n) == 0)
			return 1;
		list += w;
		list += strspn(list, " ");
	}
	return 0;
}

struct unknown {
	const char *allowed;
	const char *name[UNKNOWN_NAMED];
	size_t nnamed, more;
};

static enum MHD_Result
find_unknown(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct unknown *u = cls;
	size_t i;

	(void)kind;
	(void)value;
	if (listed(u->allowed, key))
		return MHD_YES;
	for (i = 0; i < u->nnamed; i++)
		if (strcmp(u->name[i], key) == 0)
			return MHD_YES;		/* given twice */
	if (u->nnamed < UNKNOWN_NAMED)
		u->name[u->nnamed++] = key;
	else
		u->more++;
	return MHD_YES;
}

int
params_check(struct MHD_Connection *c, const char *allowed, char *msg,
    size_t msglen)
{
	struct unknown u;
	size_t len;

	memset(&u, 0, sizeof(u));
	u.allowed = allowed;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, find_unknown, &u);
	if (u.nnamed == 0)
		return 0;
	len = (size_t)snprintf(msg, msglen, "unknown parameter%s",
	    u.nnamed > 1 ? "s" : "");
	for (size_t i = 0; i < u.nnamed && len < msglen; i++)
		len += (size_t)snprintf(msg + len, msglen - len, "%s\"%.*s\"",
		    i == 0 ? " " : i + 1 == u.nnamed && u.more == 0 ? " and " :
		    ", ", QUOTE_MAX, u.name[i]);
	if (u.more > 0 && len < msglen)
		snprintf(msg + len, msglen - len, " and %zu more", u.more);
	return -1;
}

int
param_aliased(struct MHD_Connection *c, struct request *r, const char *name,
    const char *old, const char **value, char *msg, size_t msglen)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    name);
	const char *o = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    old);

	*value = NULL;
	if (v != NULL && o != NULL) {
		snprintf(msg, msglen, "both \"%s\" and its deprecated alias "
		    "\"%s\" given: give only \"%s\"", name, old, name);
		return -1;
	}
	if (o != NULL) {
		char w[128];

		snprintf(w, sizeof(w), "parameter \"%s\" is deprecated: use "
		    "\"%s\"", old, name);
		request_warn(r, w);
	}
	*value = v != NULL ? v : o;
	return 0;
}

/* s as seconds (Go's strconv.ParseFloat accepts what strtod does, less hex
 * and the words inf and nan): 0 and *ms, or -1. */
static int
parse_seconds(const char *s, int64_t *ms)
{
	char *end;
	double v;

	for (const char *p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p) && strchr(".eE+-", *p) == NULL)
			return -1;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !isfinite(v) ||
	    v * 1000 > (double)CFG_WINDOW_MAX_MS || v * 1000 < 0)
		return -1;
	*ms = llround(v * 1000);
	return 0;
}

int
param_window(const char *s, int64_t *ms, char *msg, size_t msglen)
{
	int64_t v;

	if ((parse_seconds(s, &v) == 0 && v >= 1 && v <= CFG_WINDOW_MAX_MS) ||
	    cfg_parse_window(s, &v) == 0) {
		*ms = v;
		return 0;
	}
	snprintf(msg, msglen, "invalid window \"%.*s\": want a duration such "
	    "as 7d or 1h30m, or seconds, from 1ms to 366d", QUOTE_MAX, s);
	return -1;
}
