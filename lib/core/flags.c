/* flags.c -- command-line flags (flags.h). */
#include <assert.h>
#include <string.h>

#include "flags.h"

int
flag_value(int argc, char **argv, int *i, const char *name, const char **out)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*out = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*out = argv[++*i];
	return 1;
}

int
flags_parse(int argc, char **argv, const struct flag_def *defs, size_t n,
    const char *prog, FILE *err)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct flag_def *d = NULL;
		int rc = 0;

		const char *v = NULL;

		for (size_t k = 0; k < n && rc == 0; k++) {
			d = &defs[k];
			if (d->kind == FLAG_VALUE)
				rc = flag_value(argc, argv, &i, d->name,
				    d->value);
			else if (d->kind == FLAG_LIST)
				rc = flag_value(argc, argv, &i, d->name, &v);
			else
				rc = strcmp(a, d->name) == 0;
		}
		if (rc < 0) {
			fprintf(err, "%s: error: flag %s needs a value, try "
			    "--help\n", prog, a);
			return 2;
		}
		if (rc == 0) {
			fprintf(err, "%s: error: unknown flag %s, try --help\n",
			    prog, a);
			return 2;
		}
		if (d->kind == FLAG_VALUE)
			continue;
		if (d->kind == FLAG_LIST) {
			if (*d->n >= d->max) {
				fprintf(err, "%s: error: flag %s given more "
				    "than %zu times\n", prog, d->name, d->max);
				return 2;
			}
			d->value[(*d->n)++] = v;
			continue;
		}
		assert(d->on != NULL);
		*d->on = 1;
		if (d->kind == FLAG_STOP)
			return 1;
	}
	return 0;
}
