/* tzone.h -- IANA time zones read from the zoneinfo files, without TZ.
 *
 * localtime_r answers for the one zone named by the process's TZ, and
 * setting TZ in a multi-threaded daemon races every other thread that reads
 * it. A struct tz is one zone loaded by name: its TZif file (RFC 8536,
 * versions 1 to 4: the 64-bit data when present, the footer's POSIX TZ
 * string for instants after the last transition, M.w.d, Jn and n rules and
 * the version 3 hours outside 0..24 included). Offsets are Go's time
 * package's (time.LoadLocation and Location.lookup), which is what
 * Alertmanager evaluates time intervals with; they agree with glibc's
 * localtime_r wherever the file has data. Leap seconds ("right/" zones) are
 * ignored, as Go ignores them.
 *
 * A loaded zone is immutable: any number of threads may use one at once. */
#ifndef AN_TZONE_H
#define AN_TZONE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct tz;

/* Where zone names are looked up, and the largest file read. */
#define TZ_DIR		"/usr/share/zoneinfo"
#define TZ_LOCALTIME	"/etc/localtime"
#define TZ_FILE_MAX	(1024 * 1024)

/* Loads the zone name as Go's time.LoadLocation does: "" and "UTC" are
 * UTC (no file read); "Local" is TZ_LOCALTIME, or UTC when that file does
 * not exist (the TZ variable is never read); any other name is a file under
 * TZ_DIR ("Europe/Berlin"). Names containing "..", starting with '/' or
 * '\\', or longer than 255 bytes are refused. On success returns 0 and *out
 * (free with tz_free). On failure returns -1, leaves *out NULL and writes
 * the reason into err, in Go's words where Go has some: "unknown time zone
 * Mars/Base" (no such file), "time: invalid location name", the system's
 * error as Go prints it ("is a directory", "permission denied"), else
 * "malformed time zone information for X: why", "X: larger than 1048576
 * bytes". */
int tz_load(const char *name, struct tz **out, char *err, size_t errlen);

/* Parses len bytes of TZif data as the zone called name (tz_name's
 * answer); the bytes are copied from, not kept. Returns 0 and *out, or -1
 * with "malformed time zone information for name: why" in err. */
int tz_parse(const char *name, const void *data, size_t len, struct tz **out,
    char *err, size_t errlen);

void tz_free(struct tz *tz);

/* The name it was loaded with ("UTC" for ""). Borrowed from tz. */
const char *tz_name(const struct tz *tz);

/* The offset from UTC, in seconds east, in effect at t_sec (Unix time). */
long tz_offset(const struct tz *tz, int64_t t_sec);

/* The local time at t_ms (Unix milliseconds; negative rounds down to the
 * second before), as localtime_r would give it with TZ naming this zone:
 * every field of struct tm, tm_gmtoff and tm_zone included. tm_zone points
 * into tz and is valid until tz_free. */
void tz_local(const struct tz *tz, int64_t t_ms, struct tm *out);

/* Go's time.Date(year, mon, day, hour, min, sec, 0, loc): the fields are
 * normalized (month 13 is January of the next year, day 0 the last day of
 * the month before, ...), then the local time is converted to Unix seconds;
 * a local time skipped or repeated by a transition resolves as Go resolves
 * it (the offset in effect at the local time read as UTC, corrected once).
 * mon is 1-based. */
int64_t tz_date(const struct tz *tz, int64_t year, int64_t mon, int64_t day,
    int64_t hour, int64_t min, int64_t sec);

#endif
