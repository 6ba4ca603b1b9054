/* sdnotify.h -- telling systemd we are ready, reloading or stopping
 * (sdnotify.c; daemon/ only). */
#ifndef AN_SDNOTIFY_H
#define AN_SDNOTIFY_H

/* Sends msg ("READY=1", "STOPPING=1", "RELOADING=1") to systemd when
 * $NOTIFY_SOCKET is set. Returns 0 (also when unset) or -1. */
int sd_notify_msg(const char *msg);

#endif
