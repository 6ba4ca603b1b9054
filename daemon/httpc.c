/* httpc.c -- the shared set-up of the daemon's curl handles (httpc.h). */
#include "httpc.h"

#include <string.h>

/* CURLOPT_WRITEFUNCTION: out of memory fails the transfer as well, without
 * toobig. */
static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct httpc_body *b = arg;

	n *= size;
	if (buf_append(&b->buf, data, n) < 0) {
		b->toobig = b->buf.len + n > b->buf.limit;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	return n;
}

CURL *
httpc_new(struct httpc_body *b, size_t max, char *errbuf)
{
	CURL *h;

	buf_init(&b->buf, max);
	b->toobig = 0;
	if ((h = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	if (errbuf != NULL) {
		errbuf[0] = '\0';
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	}
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "alertnoised/" AN_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	return h;
}

void
httpc_body_reset(struct httpc_body *b)
{
	buf_reset(&b->buf);
	b->toobig = 0;
}

char *
httpc_strip_slashes(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}
