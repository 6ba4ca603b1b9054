/* buildinfo.h -- what alertnoised was built from: the version, the git
 * revision and branch (the Makefile's), the build time and the compiler.
 * `alertnoised --version` prints it and GET /api/v1/status/buildinfo
 * answers it, from one translation unit so both tell the same build time
 * (buildinfo.c; daemon/ only). */
#ifndef AN_BUILDINFO_H
#define AN_BUILDINFO_H

#include <jansson.h>

/* Static strings. build_date is __DATE__ " " __TIME__ ("Jan  5 2026
 * 10:31:47", local time of the build). */
struct buildinfo {
	const char *version, *revision, *branch, *build_date, *compiler;
};

const struct buildinfo *buildinfo(void);

/* Prometheus' /api/v1/status/buildinfo data, with the keys it uses for what
 * we have (version, revision, branch, buildDate as "20260105-10:31:47")
 * and compiler for its goVersion. A new object, NULL on out-of-memory. */
json_t *buildinfo_json(void);

#endif
