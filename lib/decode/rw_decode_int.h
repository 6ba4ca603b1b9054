/* rw_decode_int.h -- what the files of the remote-write decoder share; its
 * API is rw_decode.h. Included by lib/decode/rw_*.c only: nothing else, the
 * tests included, may use it.
 *
 *   rw_decode.c     the entry points (rw_decode, rw__decode_reference):
 *                   body size and snappy, then one of the decoders below;
 *                   rw_content_type and the small exported helpers
 *   rw_fast.c       the streaming decoder, tried first (rw__fast_decode)
 *   rw_reference.c  the wire scan, protobuf-c's unpack and the conversion
 *                   (rw__ref_decode_raw), for what rw_fast.c declines
 *   rw_arena.c      the allocation hook, the arena and the box at its start
 *   rw_validate.c   error messages, the spec's rules for a series
 *
 * Nothing here allocates on its own; every allocation goes through
 * rw__alloc_fn. */
#ifndef AN_RW_DECODE_INT_H
#define AN_RW_DECODE_INT_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "rw_decode.h"

#define MIB	((size_t)1024 * 1024)

/*
 * rw_arena.c: the allocation hook and the arena.
 */

/* What every allocation and free of the decoder goes through: malloc and
 * free unless rw__set_allocator says otherwise. */
extern void *(*rw__alloc_fn)(size_t);
extern void (*rw__free_fn)(void *);

#define ARENA_ALIGN	alignof(max_align_t)
#define ARENA_CHUNK_MIN	((size_t)16 * 1024)
#define ARENA_CHUNK_MAX	MIB
/* Budget: ARENA_BASE + ARENA_FACTOR bytes per decoded byte. A request from
 * Prometheus 2.42 peaks at 6 bytes per decoded byte, the decoded body
 * included (test_rw_decode captured_memory); protobuf-c needs ~50 for a
 * flood of empty submessages, which this refuses with RW_ERR_TOO_LARGE. */
#define ARENA_BASE	MIB
#define ARENA_FACTOR	16

struct chunk {
	struct chunk *next;
	size_t size;	/* usable bytes after the header */
	size_t used;
};

#define CHUNK_HDR \
	((sizeof(struct chunk) + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1))
#define CHUNK_DATA(c)	((unsigned char *)(c) + CHUNK_HDR)

struct arena {
	struct chunk *head;	/* the chunk being carved; older ones follow */
	size_t total;		/* bytes obtained from alloc_fn, headers too */
	size_t budget;		/* the most total may reach */
	size_t next_size;	/* size of the next shared chunk */
	void (*free_fn)(void *);	/* what frees the chunks */
	int over_budget;	/* an allocation was refused: budget */
	int nomem;		/* an allocation was refused: no memory */
	ProtobufCAllocator pa;	/* protobuf-c's handle on this arena */
};

/* What the first chunk starts with. */
struct rw_box {
	struct rw_request req;	/* first: rw_request_free casts back */
	struct arena arena;
};

#define BOX_SIZE \
	((sizeof(struct rw_box) + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1))

/* n bytes from the arena, aligned for what an object of that size needs;
 * freed with the whole arena. NULL when refused, with a->over_budget or
 * a->nomem set (rw__arena_failed says which status that is). */
void *rw__arena_alloc(struct arena *a, size_t n);

/* n elements of size bytes, uninitialized; NULL for none. */
void *rw__arena_array(struct arena *a, size_t n, size_t size);

/* The size of the first chunk of the arena for dlen decoded bytes, the
 * request included. */
size_t rw__arena_first(size_t dlen);

/* The arena's budget for dlen decoded bytes: the most its chunks may add
 * up to, headers included. */
size_t rw__arena_budget(size_t dlen);

/* Creates the arena for a request of dlen decoded bytes, with the request
 * zeroed at its start. Returns NULL when out of memory. The caller owns the
 * box: &box->req is freed, with everything in the arena, by
 * rw_request_free. */
struct rw_box *rw__box_new(size_t dlen);

/* The status for an allocation the arena refused (RW_ERR_NOMEM or
 * RW_ERR_TOO_LARGE), its message in err. */
enum rw_status rw__arena_failed(const struct arena *a, char *err,
    size_t errlen);

/*
 * rw_validate.c: error messages and validation.
 */

/* printf into err (errlen bytes, truncated); nothing when err is NULL or
 * errlen 0. */
void rw__seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A string builder over a fixed array; output that does not fit is dropped
 * and the result stays NUL-terminated. */
struct sb {
	char *p;
	size_t cap;	/* bytes in p, > 0 */
	size_t len;
};

/* Starts b over p (cap > 0 bytes, the caller's), empty. */
void rw__sb_init(struct sb *b, char *p, size_t cap);

/* Appends c when it fits. */
void rw__sb_putc(struct sb *b, char c);

/* The quoted form of a C string, for messages: double-quoted, escaped as in
 * PromQL, at most QUOTE_MAX bytes of s shown. Written into dst (dstlen
 * bytes, QUOTED_SIZE holds any); returns dst. */
#define QUOTE_MAX	64
#define QUOTED_SIZE	(QUOTE_MAX * 4 + 8)
const char *rw__quote(char *dst, size_t dstlen, const char *s);

/* Marks the series that break the rules (and those the conversion already
 * marked, whose problem is in bad[]), counts, and writes the first problem
 * into err. bad is NULL or has r->nseries entries, NULL where there is no
 * problem. Returns RW_OK, or RW_ERR_INVALID when a series is invalid. */
enum rw_status rw__validate(struct rw_request *r, const struct rw_limits *lim,
    char *const *bad, char *err, size_t errlen);

/*
 * The wire format (https://protobuf.dev/programming-guides/encoding/),
 * read by the wire scan (rw_reference.c) and the streaming decoder.
 */

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/*
 * The two decoders: steps 3 to 5 of rw_decode.c's list. Both read the
 * decoded body raw (dlen bytes, still the caller's) and leave it alone.
 */

/* The reference: steps 3 to 5 over raw (rw_reference.c). The result as
 * rw_decode's, *out set on RW_OK and RW_ERR_INVALID. */
enum rw_status rw__ref_decode_raw(const uint8_t *raw, size_t dlen,
    enum rw_version v, const struct rw_limits *lim, struct rw_request **out,
    char *err, size_t errlen);

/* The streaming decoder (rw_fast.c): decodes raw (dlen bytes) into *out.
 * Returns 1 when it declines (*why says why; nothing is allocated and err is
 * untouched), else 0 with the result in *st, as rw__ref_decode_raw's would
 * be. */
int rw__fast_decode(const uint8_t *raw, size_t dlen, enum rw_version v,
    const struct rw_limits *lim, struct rw_request **out,
    enum rw_status *st, enum rw__path *why, char *err, size_t errlen);

#endif
