/* bench.c -- helpers shared by the benchmark programs (bench.h). */
#include "bench.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

uint64_t
bn_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
bn_quantile(double *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), dbl_cmp);
	/* nearest rank: the smallest value with at least p*n values <= it */
	k = (size_t)(p * (double)n + 0.999999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

double
bn_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), dbl_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void
bn_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *
bn_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		bn_die("out of memory (%zu bytes)", n);
	return p;
}

void *
bn_xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n ? n : 1)) == NULL)
		bn_die("out of memory (%zu bytes)", n);
	return p;
}

/* --- HTTP ----------------------------------------------------------------- */

int
bn_parse_url(const char *url, struct bn_url *u)
{
	const char *p, *slash, *colon;
	size_t hl;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "http://", 7) != 0)
		return -1;
	p = url + 7;
	slash = strchr(p, '/');
	if (slash == NULL)
		slash = p + strlen(p);
	colon = memchr(p, ':', (size_t)(slash - p));
	hl = (size_t)((colon ? colon : slash) - p);
	if (hl == 0 || hl >= sizeof(u->host))
		return -1;
	memcpy(u->host, p, hl);
	u->port = colon ? atoi(colon + 1) : 80;
	if (u->port <= 0 || u->port > 65535)
		return -1;
	snprintf(u->path, sizeof(u->path), "%s", *slash ? slash : "/");
	return 0;
}

void
bn_conn_init(struct bn_conn *c, const struct bn_url *u)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->url = *u;
}

void
bn_conn_close(struct bn_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

static int
conn_open(struct bn_conn *c)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int one = 1, fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", c->url.port);
	if (getaddrinfo(c->url.host, port, &hints, &res) != 0 || res == NULL)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (c->timeout_ms > 0) {
		struct timeval tv = { c->timeout_ms / 1000,
		    (c->timeout_ms % 1000) * 1000 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	c->fd = fd;
	return 0;
}

static int
send_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Reads more bytes into c->buf; returns how many (0: closed), -1. */
static ssize_t
fill(struct bn_conn *c)
{
	ssize_t r;

	if (c->cap - c->len < 65536) {
		c->cap = c->cap ? c->cap * 2 : 131072;
		c->buf = bn_xrealloc(c->buf, c->cap);
	}
	do
		r = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		c->timed_out = 1;
	if (r > 0) {
		c->len += (size_t)r;
		c->buf[c->len] = '\0';
	}
	return r;
}

static const char *
find_header(const char *head, const char *end, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(head, "\r\n"); p && p < end;
	    p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			p += 3 + n;
			while (*p == ' ')
				p++;
			return p;
		}
	}
	return NULL;
}

/* Reads one response; returns the status or -1. *got_any tells whether any
 * byte arrived (a kept-alive connection closed before answering may be
 * retried). The body is moved to the front of c->buf. */
static int
read_response(struct bn_conn *c, int head_only, int *got_any)
{
	char *hend;
	const char *v;
	size_t hlen, need;
	int status, chunked = 0, close_after = 0;
	long long clen = -1;

	c->len = 0;
	*got_any = 0;
	for (;;) {
		ssize_t r = fill(c);

		if (r <= 0)
			return -1;
		*got_any = 1;
		if ((hend = strstr(c->buf, "\r\n\r\n")) != NULL)
			break;
	}
	if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	hlen = (size_t)(hend - c->buf) + 4;
	if ((v = find_header(c->buf, hend, "Content-Length")) != NULL)
		clen = atoll(v);
	if ((v = find_header(c->buf, hend, "Transfer-Encoding")) != NULL &&
	    strncasecmp(v, "chunked", 7) == 0)
		chunked = 1;
	if ((v = find_header(c->buf, hend, "Connection")) != NULL &&
	    strncasecmp(v, "close", 5) == 0)
		close_after = 1;
	if (head_only || status == 204 || status == 304 ||
	    (status >= 100 && status < 200)) {
		clen = 0;
		chunked = 0;
	}
	if (chunked) {
		/* decode in place: body bytes are copied down over the
		 * chunk headers as they are parsed */
		size_t rd = hlen, wr = 0;

		for (;;) {
			char *eol;
			unsigned long sz;

			while ((eol = strstr(c->buf + rd, "\r\n")) == NULL)
				if (fill(c) <= 0)
					return -1;
			sz = strtoul(c->buf + rd, NULL, 16);
			need = (size_t)(eol - c->buf) + 2 + sz + 2;
			while (c->len < need)
				if (fill(c) <= 0)
					return -1;
			memmove(c->buf + wr, eol + 2, sz);
			wr += sz;
			rd = need;
			if (sz == 0)
				break;
		}
		c->body_len = wr;
	} else if (clen >= 0) {
		need = hlen + (size_t)clen;
		while (c->len < need)
			if (fill(c) <= 0)
				return -1;
		memmove(c->buf, c->buf + hlen, (size_t)clen);
		c->body_len = (size_t)clen;
	} else {
		ssize_t r;

		while ((r = fill(c)) > 0)
			;
		memmove(c->buf, c->buf + hlen, c->len - hlen);
		c->body_len = c->len - hlen;
		close_after = 1;
	}
	if (c->buf)
		c->buf[c->body_len] = '\0';
	if (close_after) {
		close(c->fd);
		c->fd = -1;
	}
	return status;
}

int
bn_request(struct bn_conn *c, const char *method, const char *headers,
    const void *body, size_t len)
{
	char head[2048];
	int n, status, got_any;

	n = snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\nHost: %s:%d\r\n"
	    "User-Agent: alertnoise-bench\r\n%s%s", method, c->url.path,
	    c->url.host, c->url.port, headers, body || len ? "" : "\r\n");
	if (n < 0 || (size_t)n >= sizeof(head) - 40)
		return -1;
	c->timed_out = 0;
	if (body || len)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		    "Content-Length: %zu\r\n\r\n", len);
	for (int attempt = 0; attempt < 2; attempt++) {
		struct iovec iov[2] = {
			{ head, (size_t)n }, { (void *)body, len },
		};

		if (c->fd < 0 && conn_open(c) < 0)
			return -1;
		if (send_all(c->fd, iov, len ? 2 : 1) == 0) {
			status = read_response(c, strcmp(method, "HEAD") == 0,
			    &got_any);
			if (status >= 0)
				return status;
		} else {
			got_any = 0;
		}
		close(c->fd);
		c->fd = -1;
		if (got_any || c->timed_out)
			return -1;
		c->reconnects++;
	}
	return -1;
}

const char *
bn_conn_body(const struct bn_conn *c)
{
	return c->buf ? c->buf : "";
}
