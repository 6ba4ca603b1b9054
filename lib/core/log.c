/* log.c -- logfmt / JSON logging on stderr (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "timefmt.h"

static int log_threshold = LOG_INFO;
static int log_format = LOG_FMT_LOGFMT;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

int
log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

const char *
log_level_name(int level)
{
	return level >= 0 && level < 4 ? level_names[level] : "unknown";
}

void
log_setup(int level, int format)
{
	__atomic_store_n(&log_threshold, level, __ATOMIC_RELAXED);
	__atomic_store_n(&log_format, format, __ATOMIC_RELAXED);
}

/* logfmt: a value needs quotes when empty or holding space, '=', '"' or a
 * control character (go-logfmt's needsQuotedValueRune). */
static void
put_logfmt_value(struct buf *b, const char *v)
{
	const unsigned char *p;
	int quote = *v == '\0';

	for (p = (const unsigned char *)v; *p && !quote; p++)
		if (*p <= ' ' || *p == '=' || *p == '"' || *p == 0x7f)
			quote = 1;
	if (!quote) {
		buf_puts(b, v);
		return;
	}
	buf_append(b, "\"", 1);
	for (p = (const unsigned char *)v; *p; p++) {
		switch (*p) {
		case '"':  buf_puts(b, "\\\""); break;
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		case '\t': buf_puts(b, "\\t"); break;
		default:
			if (*p < ' ')
				buf_printf(b, "\\u%04x", *p);
			else
				buf_append(b, p, 1);
		}
	}
	buf_append(b, "\"", 1);
}

static void
put_json_string(struct buf *b, const char *v)
{
	const unsigned char *p;

	buf_append(b, "\"", 1);
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < ' ')
			buf_printf(b, "\\u%04x", *p);
		else
			buf_append(b, p, 1);
	}
	buf_append(b, "\"", 1);
}

static void
put_pair(struct buf *b, int fmt, int first, const char *k, const char *v)
{
	if (fmt == LOG_FMT_JSON) {
		if (!first)
			buf_append(b, ",", 1);
		put_json_string(b, k);
		buf_append(b, ":", 1);
		put_json_string(b, v);
	} else {
		if (!first)
			buf_append(b, " ", 1);
		buf_puts(b, k);
		buf_append(b, "=", 1);
		put_logfmt_value(b, v);
	}
}

void
log_kv(int level, const char *msg, ...)
{
	char ts[40];
	struct buf b;
	va_list ap;
	const char *k, *v;
	int fmt;

	if (level < __atomic_load_n(&log_threshold, __ATOMIC_RELAXED))
		return;
	fmt = __atomic_load_n(&log_format, __ATOMIC_RELAXED);
	ts_format_rfc3339(ts_now_ms(), ts, sizeof(ts));

	buf_init(&b, 64 * 1024);
	if (fmt == LOG_FMT_JSON)
		buf_append(&b, "{", 1);
	put_pair(&b, fmt, 1, "ts", ts);
	put_pair(&b, fmt, 0, "level", log_level_name(level));
	put_pair(&b, fmt, 0, "msg", msg);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		put_pair(&b, fmt, 0, k, v ? v : "");
	}
	va_end(ap);
	if (fmt == LOG_FMT_JSON)
		buf_append(&b, "}", 1);
	buf_append(&b, "\n", 1);
	if (b.data)
		(void)!write(STDERR_FILENO, b.data, b.len);
	buf_free(&b);
}
