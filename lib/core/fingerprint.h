/* fingerprint.h -- the Prometheus / Alertmanager label-set fingerprint.
 *
 * Reproduces prometheus/common model/signature.go labelSetToFingerprint and
 * model/fnv.go: FNV-1a 64 over the label names sorted byte-wise, hashing for
 * each label its name, the byte 0xFF, its value, the byte 0xFF. Alertmanager's
 * webhook `fingerprint` field is this hash of the alert's labels, printed as
 * %016x. */
#ifndef AN_FINGERPRINT_H
#define AN_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FP_OFFSET64 14695981039346656037ULL
#define FP_PRIME64  1099511628211ULL

/* Fingerprint of n labels given as parallel arrays in any order. Labels whose
 * name is in drop[0..ndrop) are left out. Returns the offset basis for the
 * empty set. Returns 0 and sets *fp on success, -1 on out-of-memory. */
int fp_labels(const char *const *names, const char *const *values, size_t n,
    const char *const *drop, size_t ndrop, uint64_t *fp);

/* The same, a label at a time, for labels already sorted by name (as
 * remote write sends them): start from FP_OFFSET64 and add each label in
 * order; the result is the fingerprint of the labels added. */
uint64_t fp_add_label(uint64_t h, const char *name, const char *value);

/* The same over a JSON object of string values (an Alertmanager label set).
 * Returns -1 when a value is not a string or on out-of-memory. */
int fp_json(const json_t *labels, const char *const *drop, size_t ndrop,
    uint64_t *fp);

/* Formats fp as 16 lowercase hex digits into out (at least 17 bytes). */
void fp_format(uint64_t fp, char *out);

/* Parses exactly 16 hex digits. Returns 0 or -1. */
int fp_parse(const char *s, uint64_t *fp);

#endif
