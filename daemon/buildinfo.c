/* buildinfo.c -- what alertnoised was built from (buildinfo.h). */
#include <stdio.h>
#include <string.h>

#include "buildinfo.h"

#ifndef AN_BRANCH
#define AN_BRANCH	"unknown"
#endif

static const struct buildinfo info = {
	AN_VERSION, AN_REVISION, AN_BRANCH, __DATE__ " " __TIME__, __VERSION__
};

const struct buildinfo *
buildinfo(void)
{
	return &info;
}

/* __DATE__ ("Jan  5 2026") and __TIME__ as Prometheus' buildDate, which
 * promu writes as "20060102-15:04:05". */
static void
build_date(char *out, size_t outlen)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *d = __DATE__;
	const char *m = strstr(months, (char[4]){ d[0], d[1], d[2], '\0' });
	int day = (d[4] == ' ' ? 0 : d[4] - '0') * 10 + (d[5] - '0');

	snprintf(out, outlen, "%.4s%02d%02d-%s", d + 7,
	    m ? (int)(m - months) / 3 + 1 : 0, day, __TIME__);
}

json_t *
buildinfo_json(void)
{
	char date[32];

	build_date(date, sizeof(date));
	return json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "version", info.version,
	    "revision", info.revision,
	    "branch", info.branch,
	    "buildDate", date,
	    "compiler", info.compiler);
}
