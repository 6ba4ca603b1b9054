/* flags.h -- command-line flags as Prometheus takes them (the daemon, its
 * subcommands and the bench programs). */
#ifndef AN_FLAGS_H
#define AN_FLAGS_H

#include <stddef.h>
#include <stdio.h>

/* Takes "--name=value" or "--name value": returns 1 when argv[*i] is the
 * flag (advancing *i past a separate value, *out pointing into argv), 0
 * when it is not, -1 when its value is missing. */
int flag_value(int argc, char **argv, int *i, const char *name,
    const char **out);

enum flag_kind {
	FLAG_VALUE,	/* "--name=value" or "--name value": sets *value */
	FLAG_SWITCH,	/* exactly "--name": sets *on to 1 */
	FLAG_STOP,	/* exactly "--name": sets *on to 1 and ends the parse
			   (--help, --version) */
	FLAG_LIST,	/* a FLAG_VALUE that may be repeated: each value goes
			   to value[(*n)++], at most max of them */
};

/* One row of a command's flag table. */
struct flag_def {
	const char *name;		/* with its dashes: "--storage.path" */
	enum flag_kind kind;
	const char **value;		/* FLAG_VALUE: pointed into argv;
					   FLAG_LIST: an array of max */
	int *on;			/* FLAG_SWITCH, FLAG_STOP */
	size_t *n, max;			/* FLAG_LIST: how many given */
};

/* Parses argv[1..argc) (argv[0] is the command) by the table defs[0..n): a
 * flag given twice takes its last value (a FLAG_LIST keeps each, and more
 * than max is an error); what a flag does not set keeps the
 * caller's default. Returns 0 when every argument was a flag; 1 at the first
 * FLAG_STOP flag, the arguments after it unread; or 2, the exit status,
 * after printing to err "<prog>: error: unknown flag X, try --help" or
 * "<prog>: error: flag X needs a value, try --help". */
int flags_parse(int argc, char **argv, const struct flag_def *defs,
    size_t n, const char *prog, FILE *err);

#endif
