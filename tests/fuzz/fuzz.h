/* fuzz.h -- what the libFuzzer harnesses share: the check that aborts (a
 * finding) and the temporary file the loaders that read a path are given. */
#ifndef AN_FUZZ_H
#define AN_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define REQUIRE(c)	do { if (!(c)) abort(); } while (0)

/* Replaces the content of the file open as fd with size bytes of data. */
static inline void
fuzz_put_file(int fd, const uint8_t *data, size_t size)
{
	size_t off = 0;
	ssize_t n;

	while (off < size) {
		n = pwrite(fd, data + off, size - off, (off_t)off);
		REQUIRE(n > 0);
		off += (size_t)n;
	}
	/* after the write, not to 0 before it: a file system that frees
	 * (and discards) the blocks of a truncated file costs ms per call */
	REQUIRE(ftruncate(fd, (off_t)size) == 0);
}

#endif
