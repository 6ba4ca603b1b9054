/* buf.h -- a growable byte buffer with a hard size limit.
 *
 * Every untrusted byte the daemon reads goes through one of these (curl's
 * dynbuf): the limit is fixed at init and checked before any allocation, so a
 * hostile sender can never make us allocate more than the limit. */
#ifndef AN_BUF_H
#define AN_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;	/* NUL-terminated when non-NULL; owned by the buf */
	size_t len;
	size_t cap;
	size_t limit;	/* the most len may ever reach */
};

/* Initializes an empty buffer that will refuse to grow past limit bytes. */
void buf_init(struct buf *b, size_t limit);

/* Appends n bytes. Returns 0, or -1 when the limit would be exceeded or
 * memory ran out; on failure the buffer is unchanged. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* Empties the buffer, keeping its allocation. */
void buf_reset(struct buf *b);

/* Hands the data to the caller (who frees it) and empties the buffer. */
char *buf_steal(struct buf *b);

void buf_free(struct buf *b);

#endif
