/* log.h -- logfmt (or JSON) logging on stderr, as Prometheus and Alertmanager
 * log: ts=2026-11-26T21:37:29.123Z level=info msg="..." key=value ...
 *
 * Thread-safe; a line is written with one write(2). */
#ifndef AN_LOG_H
#define AN_LOG_H

enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Parses "debug", "info", "warn", "error"; returns the level or -1. */
int log_level_parse(const char *s);
const char *log_level_name(int level);

/* Sets the threshold and format (LOG_FMT_* from config.h). */
void log_setup(int level, int format);

/* Logs msg with key/value pairs: a NULL-terminated list of const char *
 * key, value, key, value, ... Values are quoted when needed. */
void log_kv(int level, const char *msg, ...);

#define log_debug(...) log_kv(LOG_DEBUG, __VA_ARGS__, (const char *)0)
#define log_info(...)  log_kv(LOG_INFO, __VA_ARGS__, (const char *)0)
#define log_warn(...)  log_kv(LOG_WARN, __VA_ARGS__, (const char *)0)
#define log_error(...) log_kv(LOG_ERROR, __VA_ARGS__, (const char *)0)

#endif
