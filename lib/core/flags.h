/* flags.h -- command-line flags as Prometheus takes them (the daemon and
 * the bench programs). */
#ifndef AN_FLAGS_H
#define AN_FLAGS_H

/* Takes "--name=value" or "--name value": returns 1 when argv[*i] is the
 * flag (advancing *i past a separate value, *out pointing into argv), 0
 * when it is not, -1 when its value is missing. */
int flag_value(int argc, char **argv, int *i, const char *name,
    const char **out);

#endif
