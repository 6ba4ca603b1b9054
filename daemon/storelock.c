/* storelock.c -- the store's owner lock (storelock.h). flock rather than
 * fcntl locks: it belongs to the open file, so no other descriptor of the
 * file that the process opens and closes can drop it, and the kernel drops
 * it when the process dies, however it dies: there is no stale lock to clean
 * up after a kill -9. */
#include "storelock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int
storelock_take(const char *dir, char *err, size_t errlen)
{
	char path[4096], pid[32];
	ssize_t n;
	int fd, len;

	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "creating %s: %s", dir, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/lock", dir) >=
	    sizeof(path)) {
		snprintf(err, errlen, "storage path too long");
		return -1;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		snprintf(err, errlen, "opening %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		if (e != EWOULDBLOCK) {
			snprintf(err, errlen, "locking %s: %s", path,
			    strerror(e));
		} else {
			/* the holder wrote its PID after it took the lock:
			 * an empty file is a holder between the two */
			n = pread(fd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			snprintf(err, errlen, "%s is in use by another "
			    "alertnoised (PID %s, as %s says): one daemon per "
			    "store", dir, pid[0] ? pid : "unknown", path);
		}
		close(fd);
		return -1;
	}
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
