/* conns.c -- per-address connection caps and whole-request deadlines
 * (conns.h). One mutex guards the list of open connections and the
 * per-address counts; the sweeper takes it every SWEEP_MS. An entry leaves
 * the list in libmicrohttpd's MHD_CONNECTION_NOTIFY_CLOSED, which comes
 * before the socket is closed, so a shutdown(2) under the mutex never hits
 * a descriptor that was closed and reused. */
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "conns.h"
#include "log.h"
#include "metrics.h"
#include "timefmt.h"
#include "u64map.h"

#define SWEEP_MS	100
#define R_PER_IP	"per_ip_limit"
#define R_READ_TIMEOUT	"read_timeout"

struct conn {
	struct conn *prev, *next;
	MHD_socket fd;
	uint64_t addr;		/* addr_key of the client's address */
	int counted;		/* in the address' count */
	int64_t deadline_ms;	/* ts_mono_ms(); 0: none */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;	/* stop */
static struct conn *head;	/* open connections */
static size_t nopen;
static struct u64map per_addr;	/* addr_key -> connections counted */
static size_t per_ip_max;
static int64_t timeout_ms;
static int stop;
static int started;
static pthread_t sweeper;
static struct met_family *m_closed;	/* {reason} */
static struct met_family *m_open;
static int64_t last_log_ms;		/* of a per-address refusal */
static uint64_t unlogged;		/* refusals since */

/* FNV-1a of the address bytes (not the port): the key of its count. Two
 * addresses sharing a key would share a cap, at 2^-64 odds. */
static uint64_t
addr_key(const struct sockaddr *sa)
{
	const unsigned char *p = NULL;
	size_t n = 0;
	uint64_t h = 1469598103934665603ULL;

	if (sa != NULL && sa->sa_family == AF_INET) {
		p = (const void *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
		n = 4;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		p = (const void *)&((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr;
		n = 16;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h ^ (uint64_t)n;
}

/* The count map keeps keys whose count fell to 0 (u64map has no
 * deletion): rebuilt from the open connections when they outnumber them
 * four to one, so addresses that came and went cost nothing lasting.
 * Under mu. */
static void
compact_locked(void)
{
	struct u64map m = { 0 };
	uint64_t v;

	if (per_addr.n < 1024 || per_addr.n < 4 * nopen)
		return;
	for (struct conn *e = head; e != NULL; e = e->next) {
		if (!e->counted)
			continue;
		v = 0;
		u64map_get(&m, e->addr, &v);
		if (u64map_put(&m, e->addr, v + 1) < 0) {
			u64map_free(&m);
			return;		/* keep the old one */
		}
	}
	u64map_free(&per_addr);
	per_addr = m;
}

static void
opened(struct MHD_Connection *c, void **socket_context)
{
	const union MHD_ConnectionInfo *ci;
	struct conn *e;
	uint64_t n = 0;
	int refuse = 0;
	char count[24];

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;		/* unbounded, but served */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	e->fd = ci ? ci->connect_fd : MHD_INVALID_SOCKET;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	e->addr = addr_key(ci ? ci->client_addr : NULL);
	e->deadline_ms = ts_mono_ms() + timeout_ms;
	pthread_mutex_lock(&mu);
	u64map_get(&per_addr, e->addr, &n);
	if (n >= per_ip_max)
		refuse = 1;
	else if (u64map_put(&per_addr, e->addr, n + 1) == 0)
		e->counted = 1;
	if ((e->next = head) != NULL)
		head->prev = e;
	head = e;
	nopen++;
	if (refuse) {
		e->deadline_ms = 0;
		shutdown(e->fd, SHUT_RDWR);
		unlogged++;
		if (ts_mono_ms() - last_log_ms >= 10000) {
			snprintf(count, sizeof(count), "%llu",
			    (unsigned long long)unlogged);
			last_log_ms = ts_mono_ms();
			unlogged = 0;
			pthread_mutex_unlock(&mu);
			log_warn("Refused connections over "
			    "web.max_connections_per_ip", "refused", count);
			pthread_mutex_lock(&mu);
		}
	}
	pthread_mutex_unlock(&mu);
	*socket_context = e;
	if (refuse)
		met_add(m_closed, (const char *[]){ R_PER_IP }, 1);
	met_add(m_open, NULL, 1);
}

static void
closed(void **socket_context)
{
	struct conn *e = *socket_context;
	uint64_t n = 0;

	if (e == NULL)
		return;
	pthread_mutex_lock(&mu);
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	nopen--;
	if (e->counted && u64map_get(&per_addr, e->addr, &n) && n > 0)
		u64map_put(&per_addr, e->addr, n - 1);	/* no allocation */
	compact_locked();
	pthread_mutex_unlock(&mu);
	free(e);
	*socket_context = NULL;
	met_add(m_open, NULL, -1);
}

void
conns_notify(struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		opened(c, socket_context);
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		closed(socket_context);
}

static void
set_deadline(struct MHD_Connection *c, int64_t deadline_ms)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn *e = ci ? ci->socket_context : NULL;

	if (e == NULL)
		return;
	pthread_mutex_lock(&mu);
	e->deadline_ms = deadline_ms;
	pthread_mutex_unlock(&mu);
}

void
conns_request_read(struct MHD_Connection *c)
{
	set_deadline(c, 0);
}

void
conns_request_done(struct MHD_Connection *c)
{
	set_deadline(c, ts_mono_ms() + timeout_ms);
}

size_t
conns_open(void)
{
	size_t n;

	pthread_mutex_lock(&mu);
	n = nopen;
	pthread_mutex_unlock(&mu);
	return n;
}

static void *
sweep(void *arg)
{
	struct timespec until;
	int64_t now;
	size_t late;

	(void)arg;
	pthread_mutex_lock(&mu);
	while (!stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		ts_add_ms(&until, SWEEP_MS);
		pthread_cond_timedwait(&cv, &mu, &until);
		now = ts_mono_ms();
		late = 0;
		for (struct conn *e = head; e != NULL; e = e->next)
			if (e->deadline_ms != 0 && now >= e->deadline_ms) {
				e->deadline_ms = 0;
				shutdown(e->fd, SHUT_RDWR);
				late++;
			}
		if (late > 0) {
			pthread_mutex_unlock(&mu);
			met_add(m_closed, (const char *[]){ R_READ_TIMEOUT },
			    (double)late);
			pthread_mutex_lock(&mu);
		}
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

int
conns_start(struct met_registry *reg, size_t per_ip, int64_t read_timeout_ms,
    char *err, size_t errlen)
{
	static const char *const reason[] = { "reason" };
	pthread_condattr_t ca;

	per_ip_max = per_ip;
	timeout_ms = read_timeout_ms;
	if (m_closed == NULL) {
		m_closed = met_register(reg, MET_COUNTER,
		    "alertnoise_http_connections_closed_total",
		    "Connections alertnoised shut down itself, by reason: "
		    "per_ip_limit (one more than web.max_connections_per_ip "
		    "from one address), read_timeout (no whole request "
		    "within web.read_timeout: a slow or idle client).",
		    1, reason, NULL, 0);
		m_open = met_register(reg, MET_GAUGE,
		    "alertnoise_http_connections_open",
		    "Client connections open now.", 0, NULL, NULL, 0);
		if (m_closed == NULL || m_open == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		met_add(m_closed, (const char *[]){ R_PER_IP }, 0);
		met_add(m_closed, (const char *[]){ R_READ_TIMEOUT }, 0);
		met_set(m_open, NULL, 0);
	}
	stop = 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&cv);
	pthread_cond_init(&cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&sweeper, NULL, sweep, NULL) != 0) {
		snprintf(err, errlen, "starting the connection sweeper failed");
		return -1;
	}
	started = 1;
	return 0;
}

void
conns_stop(void)
{
	if (!started)
		return;
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(sweeper, NULL);
	started = 0;
}
