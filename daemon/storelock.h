/* storelock.h -- one daemon per store: an exclusive flock(2) on
 * <storage.path>/lock, held for the life of the process (README "The
 * store"). `alertnoised import` and `report` take no lock: they are meant to
 * run beside the daemon (SQLite serialises their writes). */
#ifndef AN_STORELOCK_H
#define AN_STORELOCK_H

#include <stddef.h>

/* Creates dir (0750) when missing, then takes the lock without waiting and
 * writes this process' PID into the file. Returns the lock's descriptor
 * (close-on-exec; the lock goes with the process, so it is never closed), or
 * -1 with why in err: another process holds it (naming its PID as the file
 * says it), or a system error. */
int storelock_take(const char *dir, char *err, size_t errlen);

#endif
