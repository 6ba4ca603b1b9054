/* udiff.h -- unified diffs of two texts, as `diff -u` writes them.
 *
 * A recommendation that changes a file is handed to the user as a patch
 * they can read, and apply with `patch -p1` or `git apply`. */
#ifndef AN_UDIFF_H
#define AN_UDIFF_H

#include <stddef.h>

/* Limits: the bytes and lines of each text, and the work the diff may do
 * (about lines times differences) before it gives up. */
#define UD_MAX_BYTES	(16 * 1024 * 1024)
#define UD_MAX_LINES	500000
#define UD_MAX_WORK	400000000LL

/* Writes the unified diff that turns the alen bytes of a into the blen
 * bytes of b: "--- a/path" and "+++ b/path" (a leading '/' of path
 * dropped, a tab after a path with a space, as git writes it), then hunks
 * "@@ -l,n +l,n @@" with 3 lines of context, and "\ No newline at end of
 * file" after a last line without one. The edit script is a shortest one
 * (Myers' O(ND) algorithm). Equal texts give an empty diff.
 *
 * On success returns 0 and *out (NUL-terminated, caller frees) of *outlen
 * bytes. On failure returns -1, *out NULL, and what went wrong in err: a
 * text over the limits, texts too different to diff within UD_MAX_WORK, a
 * path with a control character, a quote or a backslash, out of memory. */
int ud_diff(const char *path, const char *a, size_t alen, const char *b,
    size_t blen, char **out, size_t *outlen, char *err, size_t errlen);

#endif
