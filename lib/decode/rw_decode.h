/* rw_decode.h -- Prometheus remote-write 1.0 and 2.0 request decoding.
 *
 * Specs: prometheus/docs docs/specs/prw/remote_write_spec.md and
 * remote_write_spec_2_0.md; messages as prompb (proto/). The body is snappy
 * block format; its declared uncompressed length is checked against the
 * limit before anything is allocated. Everything a decoded request points
 * to lives in one per-request arena, freed with rw_request_free. */
#ifndef AN_RW_DECODE_H
#define AN_RW_DECODE_H

#include <stddef.h>
#include <stdint.h>

enum rw_version { RW_V1, RW_V2 };

/* Outcome classes; the daemon maps them to HTTP status codes and counts
 * rejections by rw_status_reason(). */
enum rw_status {
	RW_OK = 0,
	RW_ERR_MEDIA,		/* 415: unsupported Content-Type / proto */
	RW_ERR_TOO_LARGE,	/* 413: compressed or declared decoded size */
	RW_ERR_SNAPPY,		/* 400: not valid snappy block data */
	RW_ERR_PROTO,		/* 400: not a valid protobuf message */
	RW_ERR_INVALID,		/* 400: a series breaks the spec (others kept) */
	RW_ERR_NOMEM,		/* 500 */
};

struct rw_label {
	const char *name, *value;	/* NUL-terminated, in the arena */
};

struct rw_sample {
	double value;		/* compare with rw_is_stale(), not isnan() */
	int64_t ts_ms;
};

struct rw_series {
	struct rw_label *labels;	/* as sent (sorted when valid) */
	size_t nlabels;
	struct rw_sample *samples;
	size_t nsamples;
	int valid;		/* 0: broke a rule; skip it */
};

struct rw_request {
	enum rw_version version;
	struct rw_series *series;
	size_t nseries;
	size_t ninvalid;	/* series with valid == 0 */
	size_t nsamples;	/* samples in valid series */
	size_t nhistograms;	/* received (and ignored) */
	size_t nexemplars;	/* received (and ignored) */
};

struct rw_limits {
	size_t max_compressed;	/* body bytes, default 32 MiB */
	size_t max_decoded;	/* snappy declared length, default 32 MiB */
	size_t max_series;	/* series per request, default 100000 */
	size_t max_samples;	/* samples per request (counted on the wire,
				   before anything is allocated for them),
				   default 100000 */
	size_t max_labels;	/* labels per series, default 30 */
	size_t max_name_len;	/* default 1024 */
	size_t max_value_len;	/* default 2048 */
};

/* Fills in the defaults above. */
void rw_limits_default(struct rw_limits *lim);

/* Selects the message by Content-Type: "application/x-protobuf" (no proto
 * parameter, or proto=prometheus.WriteRequest) is 1.0;
 * ";proto=io.prometheus.write.v2.Request" is 2.0. Anything else: -1 with a
 * message in err (the daemon answers 415). */
int rw_content_type(const char *content_type, enum rw_version *v, char *err,
    size_t errlen);

/* Decodes and validates a snappy-compressed body. On RW_OK or RW_ERR_INVALID
 * *out holds the request (the invalid series marked, err naming the first
 * offending series and label); the caller frees it with rw_request_free. On
 * any other status *out is NULL and err says what is wrong. */
enum rw_status rw_decode(const void *body, size_t len, enum rw_version v,
    const struct rw_limits *lim, struct rw_request **out, char *err,
    size_t errlen);

void rw_request_free(struct rw_request *r);

/* Prometheus' out-of-bounds rule (tsdb head.go appendable: ErrOutOfBounds)
 * over the valid series of r: how many of their samples lie outside
 * [min_ms, max_ms]; for the first one err names the series, the sample's
 * time and the bounds. 0 when every sample is within them (err empty). The
 * daemon refuses a request with any such sample as a whole (400), as
 * Prometheus' receiver does, so that the sender drops it. */
size_t rw_out_of_bounds(const struct rw_request *r, int64_t min_ms,
    int64_t max_ms, char *err, size_t errlen);

/* The metric label of a status ("snappy", "protobuf", "invalid", ...). */
const char *rw_status_reason(enum rw_status s);

/* Prometheus' staleness marker: the exact bit pattern 0x7ff0000000000002. */
int rw_is_stale(double v);

/* Tests only (fault simulation, as SQLite injects allocation failures): every
 * allocation and free rw_decode makes -- the decompressed body and the
 * arena's chunks -- goes through these; NULL, NULL restores malloc/free.
 * Not thread-safe: call it while no request is being decoded. A request
 * is freed with the function that was set when it was decoded. */
void rw__set_allocator(void *(*alloc_fn)(size_t), void (*free_fn)(void *));

/* Tests only (differential testing, tests/unit/test_rw_decode.c and
 * tests/fuzz/): rw_decode's reference implementation -- a wire scan, then
 * protobuf-c's generic unpack -- with the same contract as rw_decode. The
 * streaming decoder rw_decode uses must give exactly its results. */
enum rw_status rw__decode_reference(const void *body, size_t len,
    enum rw_version v, const struct rw_limits *lim, struct rw_request **out,
    char *err, size_t errlen);

/* Tests only: who answered the calling thread's last rw_decode. */
enum rw__path {
	RW__PATH_NONE,		/* refused before the protobuf layer */
	RW__PATH_FAST,		/* the streaming decoder */
	/* the streaming decoder declined and the reference answered: */
	RW__PATH_WIRE,		/* a malformed message (the reference refuses) */
	RW__PATH_REFS,		/* 2.0 labels_refs that do not resolve */
	RW__PATH_BUDGET,	/* the reference might run out of its budget */
	RW__PATH_LIMIT,		/* over max_samples (the reference refuses) */
};
enum rw__path rw__last_path(void);

#endif
