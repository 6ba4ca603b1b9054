/* conns.h -- the bounds libmicrohttpd does not keep on alertnoised's
 * connections (daemon/ only):
 *
 * - how many connections one client address holds at once
 *   (web.max_connections_per_ip): one past it is shut down as it opens;
 * - how long a client has to send a whole request (web.read_timeout), from
 *   the connection's start, or the end of the answer before, to the last
 *   byte of the body. libmicrohttpd's own timeout is an idle timeout that
 *   every byte resets, so a client trickling a header line every few
 *   seconds (slowloris) would hold its connection for ever. A sweeper thread
 *   shuts down (shutdown(2)) each connection past its deadline;
 *   libmicrohttpd then sees the end of the stream and closes it.
 *
 * http.c calls conns_notify from its MHD_OPTION_NOTIFY_CONNECTION callback
 * and the two request hooks from its access and completion callbacks. Every
 * connection shut down here is counted in
 * alertnoise_http_connections_closed_total{reason}. */
#ifndef AN_CONNS_H
#define AN_CONNS_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

struct met_registry;

/* Registers the metrics and starts the sweeper: 0, or -1 with err. */
int conns_start(struct met_registry *reg, size_t per_ip,
    int64_t read_timeout_ms, char *err, size_t errlen);
/* Stops the sweeper; the registry entries go with their connections. */
void conns_stop(void);
/* MHD_CONNECTION_NOTIFY_STARTED and _CLOSED of connection c. */
void conns_notify(struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe);
/* c's request is read whole: its deadline no longer runs (computing and
 * sending the answer have their own bounds). */
void conns_request_read(struct MHD_Connection *c);
/* c's answer is sent: the next request on it has web.read_timeout from
 * now, idle time included. */
void conns_request_done(struct MHD_Connection *c);
/* Connections open now. */
size_t conns_open(void);

#endif
