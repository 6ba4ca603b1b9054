/* webconfig.c -- --web.config.file: TLS, client certificates and basic
 * auth in the format of Prometheus exporter-toolkit (web/tls_config.go,
 * web/handler.go), so a user reuses the file their exporters read.
 *
 * The file is read whole (size-capped) into a libyaml node tree and walked
 * against the keys exporter-toolkit knows; any other key is an error, as
 * exporter-toolkit's strict unmarshalling makes it. The TLS material is
 * checked with GnuTLS, which libmicrohttpd serves it through. Passwords are
 * bcrypt hashes checked with libxcrypt's crypt_r.
 *
 * The client commands' --http.config.file (prometheus/common
 * config/http_config.go HTTPClientConfig) is read the same way, against a
 * table of its keys (webcfg_client_load). */
#include "webconfig.h"

#include <crypt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <yaml.h>

#include "yamlnode.h"

/* A web config file, and each file it names, larger than this is refused
 * before it is read. */
#define WC_FILE_MAX		(1024 * 1024)
/* Successful logins remembered (webcfg_authenticate). */
#define WC_CACHE_SLOTS		256
/* Client addresses the failure limit tracks; the stalest is forgotten. */
#define WC_LIMIT_SLOTS		4096
#define WC_LIMIT_PROBE		8

struct wc_user {
	char	*name;
	char	*hash;		/* bcrypt, "$2y$10$..." */
};

struct webconfig {
	int		 refs;		/* atomic */
	char		*path;

	int		 tls;
	char		*cert_pem, *key_pem, *ca_pem;
	char		*priorities;
	/* the same, parsed once for every handshake */
	gnutls_pcert_st	*pcert;		/* the chain, the server's first */
	unsigned	 npcert;
	gnutls_privkey_t key;
	gnutls_x509_trust_list_t ca;	/* NULL: no client_ca_file */
	gnutls_priority_t prio;
	enum webcfg_client_auth client_auth;

	struct wc_user	*users;
	size_t		 nusers;
	char		*dummy_hash;	/* for unknown users: the highest cost */

	pthread_mutex_t	 cache_mu;
	unsigned char	 cache[WC_CACHE_SLOTS][32];
	unsigned char	 cache_used[WC_CACHE_SLOTS];
	size_t		 cache_next;
};

/* --- errors -------------------------------------------------------------- */

struct wc_loader {
	const char	*file;
	char		*dir;		/* file's directory, with a '/' */
	yaml_document_t	 doc;
	struct webconfig *wc;
	char		*err;
	size_t		 errlen;
};

/* "file:line: key: message"; line 0 leaves ":line" out, key NULL "key: ".
 * Returns -1. */
static int
fail(struct wc_loader *ld, unsigned long line, const char *key,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(ld->err, ld->errlen, "%s:%lu: %s%s%s", ld->file, line,
		    key ? key : "", key ? ": " : "", msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s%s%s", ld->file,
		    key ? key : "", key ? ": " : "", msg);
	return -1;
}

/* --- files --------------------------------------------------------------- */

/* Reads path whole, NUL-terminated, at most WC_FILE_MAX bytes. Returns the
 * text (the caller frees it) or NULL with errno-like text in why. */
static char *
read_whole(const char *path, size_t *lenp, char *why, size_t whylen)
{
	FILE *f;
	char *text = NULL;
	size_t len = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(why, whylen, "%s", strerror(errno));
		return NULL;
	}
	if ((text = malloc(WC_FILE_MAX + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	while ((n = fread(text + len, 1, WC_FILE_MAX + 1 - len, f)) > 0)
		len += n;
	if (ferror(f)) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto bad;
	}
	if (len > WC_FILE_MAX) {
		snprintf(why, whylen, "larger than %d bytes", WC_FILE_MAX);
		goto bad;
	}
	text[len] = '\0';
	if (lenp)
		*lenp = len;
	goto out;
bad:
	free(text);
	text = NULL;
out:
	fclose(f);
	return text;
}

/* The path of the file name: relative to the web config file's directory
 * (the caller frees it), or NULL having failed. */
static char *
resolve(struct wc_loader *ld, const char *name)
{
	char *path;

	if (name[0] == '/')
		path = strdup(name);
	else if (asprintf(&path, "%s%s", ld->dir, name) < 0)
		path = NULL;
	if (path == NULL)
		fail(ld, 0, NULL, "out of memory");
	return path;
}

/* The file the key at node n names, read (resolve). Returns 0 and *out,
 * or -1 having failed. */
static int
load_file(struct wc_loader *ld, const char *key, yaml_node_t *n,
    const char *name, char **out)
{
	char why[128], *path;
	int rc;

	if ((path = resolve(ld, name)) == NULL)
		return -1;
	*out = read_whole(path, NULL, why, sizeof(why));
	rc = *out ? 0 : fail(ld, yn_line(n), key, "reading %s: %s", path,
	    why);
	free(path);
	return rc;
}

/* --- the tree ------------------------------------------------------------ */

static const char *
scalar(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || yn_is_null(n) ||
	    strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static int
want_scalar(struct wc_loader *ld, const char *key, yaml_node_t *n,
    const char **out)
{
	if ((*out = scalar(n)) == NULL)
		return fail(ld, yn_line(n), key, "expected a string, got %s",
		    yn_is_null(n) ? "null" : yn_kind(n));
	return 0;
}

static int
want_bool(struct wc_loader *ld, const char *key, yaml_node_t *n, int *out)
{
	const char *s = scalar(n);

	if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
		*out = s[0] == 't';
		return 0;
	}
	return fail(ld, yn_line(n), key, "expected true or false");
}

/* --- tls_server_config --------------------------------------------------- */

static const char *const client_auth_names[] = {
	[WC_NO_CLIENT_CERT] = "NoClientCert",
	[WC_REQUEST_CLIENT_CERT] = "RequestClientCert",
	[WC_REQUIRE_ANY_CLIENT_CERT] = "RequireAnyClientCert",
	[WC_VERIFY_CLIENT_CERT_IF_GIVEN] = "VerifyClientCertIfGiven",
	[WC_REQUIRE_AND_VERIFY_CLIENT_CERT] = "RequireAndVerifyClientCert",
};

/* exporter-toolkit's TLSVersion names, as GnuTLS priority items */
static const struct {
	const char *name, *gnutls;
} versions[] = {
	{ "TLS10", "VERS-TLS1.0" }, { "TLS11", "VERS-TLS1.1" },
	{ "TLS12", "VERS-TLS1.2" }, { "TLS13", "VERS-TLS1.3" },
};
#define NVERSIONS	(sizeof(versions) / sizeof(versions[0]))

/* The cipher suites of Go's crypto/tls.CipherSuites() that GnuTLS has, as
 * GnuTLS priority items: a key exchange (NULL for TLS 1.3's), a cipher, a
 * MAC. GnuTLS chooses from the union of the items, not per suite. */
static const struct {
	const char *name, *kx, *cipher, *mac;
} suites[] = {
	{ "TLS_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES-128-CBC", "SHA1" },
	{ "TLS_RSA_WITH_AES_256_CBC_SHA", "RSA", "AES-256-CBC", "SHA1" },
	{ "TLS_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AES-128-GCM", "AEAD" },
	{ "TLS_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AES-256-GCM", "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA", "AES-128-CBC",
	    "SHA1" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA", "AES-256-CBC",
	    "SHA1" },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA", "AES-128-CBC",
	    "SHA1" },
	{ "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA", "AES-256-CBC",
	    "SHA1" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA",
	    "AES-128-GCM", "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA",
	    "AES-256-GCM", "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA", "AES-128-GCM",
	    "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA", "AES-256-GCM",
	    "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA",
	    "CHACHA20-POLY1305", "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA",
	    "CHACHA20-POLY1305", "AEAD" },
	{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA",
	    "CHACHA20-POLY1305", "AEAD" },
	{ "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA",
	    "CHACHA20-POLY1305", "AEAD" },
	{ "TLS_AES_128_GCM_SHA256", NULL, "AES-128-GCM", "AEAD" },
	{ "TLS_AES_256_GCM_SHA384", NULL, "AES-256-GCM", "AEAD" },
	{ "TLS_CHACHA20_POLY1305_SHA256", NULL, "CHACHA20-POLY1305", "AEAD" },
};
#define NSUITES		(sizeof(suites) / sizeof(suites[0]))

/* Go's tls.CurveID names */
static const struct {
	const char *name, *gnutls;
} curves[] = {
	{ "CurveP256", "GROUP-SECP256R1" }, { "CurveP384", "GROUP-SECP384R1" },
	{ "CurveP521", "GROUP-SECP521R1" }, { "X25519", "GROUP-X25519" },
};
#define NCURVES		(sizeof(curves) / sizeof(curves[0]))

/* Appends "+item" (or ":+item") to the priority string p (cap bytes),
 * unless it holds it already. */
static void
prio_add(char *p, size_t cap, const char *sign, const char *item)
{
	char tok[64];
	size_t len = strlen(p);

	snprintf(tok, sizeof(tok), ":%s%s:", sign, item);
	{
		char probe[1024];

		snprintf(probe, sizeof(probe), ":%s:", p);
		if (strstr(probe, tok) != NULL)
			return;
	}
	snprintf(p + len, cap - len, ":%s%s", sign, item);
}

struct tls_settings {
	const char *cert_file, *key_file, *ca_file;
	yaml_node_t *cert_n, *key_n, *ca_n, *auth_n;
	int min_v, max_v;		/* index in versions[] */
	yaml_node_t *suites_n, *curves_n;
	int server_order;
};

static int
parse_version(struct wc_loader *ld, const char *key, yaml_node_t *n,
    int *out)
{
	const char *s;

	if (want_scalar(ld, key, n, &s) < 0)
		return -1;
	for (size_t i = 0; i < NVERSIONS; i++)
		if (strcmp(s, versions[i].name) == 0) {
			*out = (int)i;
			return 0;
		}
	return fail(ld, yn_line(n), key, "unknown TLS version \"%.32s\" (want "
	    "TLS10, TLS11, TLS12 or TLS13)", s);
}

/* The GnuTLS priority string of ts; -1 having failed. */
static int
make_priorities(struct wc_loader *ld, const struct tls_settings *ts)
{
	char p[1024] = "NORMAL:-VERS-ALL";
	yaml_node_item_t *it;
	yaml_node_t *item;
	const char *s;
	const char *errpos = NULL;
	gnutls_priority_t prio;
	size_t i;
	int v;

	for (v = ts->min_v; v <= ts->max_v; v++)
		prio_add(p, sizeof(p), "+", versions[v].gnutls);
	if (ts->suites_n != NULL) {
		if (ts->suites_n->type != YAML_SEQUENCE_NODE)
			return fail(ld, yn_line(ts->suites_n),
			    "tls_server_config.cipher_suites",
			    "expected a sequence of cipher suite names");
		prio_add(p, sizeof(p), "-", "KX-ALL");
		prio_add(p, sizeof(p), "-", "CIPHER-ALL");
		prio_add(p, sizeof(p), "-", "MAC-ALL");
		for (it = ts->suites_n->data.sequence.items.start;
		    it < ts->suites_n->data.sequence.items.top; it++) {
			item = yaml_document_get_node(&ld->doc, *it);
			if (want_scalar(ld, "tls_server_config.cipher_suites",
			    item, &s) < 0)
				return -1;
			for (i = 0; i < NSUITES; i++)
				if (strcmp(s, suites[i].name) == 0)
					break;
			if (i == NSUITES)
				return fail(ld, yn_line(item),
				    "tls_server_config.cipher_suites",
				    "unknown or unsupported cipher suite "
				    "\"%.64s\" (alertnoised serves the TLS_ECDHE_"
				    "*, TLS_RSA_* AES and CHACHA20 suites of "
				    "Go's tls.CipherSuites())", s);
			if (suites[i].kx != NULL)
				prio_add(p, sizeof(p), "+", suites[i].kx);
			prio_add(p, sizeof(p), "+", suites[i].cipher);
			prio_add(p, sizeof(p), "+", suites[i].mac);
		}
	}
	if (ts->curves_n != NULL) {
		if (ts->curves_n->type != YAML_SEQUENCE_NODE)
			return fail(ld, yn_line(ts->curves_n),
			    "tls_server_config.curve_preferences",
			    "expected a sequence of curve names");
		prio_add(p, sizeof(p), "-", "GROUP-ALL");
		for (it = ts->curves_n->data.sequence.items.start;
		    it < ts->curves_n->data.sequence.items.top; it++) {
			item = yaml_document_get_node(&ld->doc, *it);
			if (want_scalar(ld, "tls_server_config.curve_preferences",
			    item, &s) < 0)
				return -1;
			for (i = 0; i < NCURVES; i++)
				if (strcmp(s, curves[i].name) == 0)
					break;
			if (i == NCURVES)
				return fail(ld, yn_line(item),
				    "tls_server_config.curve_preferences",
				    "unknown curve \"%.32s\" (want CurveP256, "
				    "CurveP384, CurveP521 or X25519)", s);
			prio_add(p, sizeof(p), "+", curves[i].gnutls);
		}
	}
	if (ts->server_order) {
		size_t len = strlen(p);

		snprintf(p + len, sizeof(p) - len, ":%%SERVER_PRECEDENCE");
	}
	if (gnutls_priority_init(&prio, p, &errpos) < 0)
		return fail(ld, 0, "tls_server_config", "GnuTLS refuses the "
		    "priorities \"%s\" made of these settings", p);
	ld->wc->prio = prio;
	if ((ld->wc->priorities = strdup(p)) == NULL)
		return fail(ld, 0, NULL, "out of memory");
	return 0;
}

/* Parses the checked PEM texts into what a handshake takes: the chain
 * (gnutls_pcert_st), the key (gnutls_privkey_t) and the client CAs (a
 * trust list). */
static int
parse_tls_material(struct wc_loader *ld)
{
	struct webconfig *wc = ld->wc;
	gnutls_x509_crt_t *crts = NULL;
	gnutls_datum_t cert, key, ca;
	unsigned n = 0, i;
	int rc;

	cert.data = (unsigned char *)wc->cert_pem;
	cert.size = (unsigned)strlen(wc->cert_pem);
	key.data = (unsigned char *)wc->key_pem;
	key.size = (unsigned)strlen(wc->key_pem);
	if ((rc = gnutls_x509_crt_list_import2(&crts, &n, &cert,
	    GNUTLS_X509_FMT_PEM, 0)) < 0)
		return fail(ld, 0, "tls_server_config.cert_file", "%s",
		    gnutls_strerror(rc));
	if ((wc->pcert = calloc(n, sizeof(*wc->pcert))) != NULL &&
	    (rc = gnutls_pcert_import_x509_list(wc->pcert, crts, &n, 0)) == 0)
		wc->npcert = n;
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	if (wc->npcert == 0)
		return fail(ld, 0, "tls_server_config.cert_file", "%s",
		    wc->pcert == NULL ? "out of memory" : gnutls_strerror(rc));
	if ((rc = gnutls_privkey_init(&wc->key)) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(wc->key, &key,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0)
		return fail(ld, 0, "tls_server_config.key_file", "%s",
		    gnutls_strerror(rc));
	if (wc->ca_pem != NULL) {
		ca.data = (unsigned char *)wc->ca_pem;
		ca.size = (unsigned)strlen(wc->ca_pem);
		if ((rc = gnutls_x509_trust_list_init(&wc->ca, 0)) < 0 ||
		    (rc = gnutls_x509_trust_list_add_trust_mem(wc->ca, &ca,
		    NULL, GNUTLS_X509_FMT_PEM, 0, 0)) <= 0)
			return fail(ld, 0, "tls_server_config.client_ca_file",
			    "%s", rc < 0 ? gnutls_strerror(rc) :
			    "no PEM certificate");
	}
	return 0;
}

/* Checks that the certificate and key are a pair GnuTLS can serve, and
 * the client CAs load; then parses them (parse_tls_material). */
static int
check_tls_material(struct wc_loader *ld, const struct tls_settings *ts)
{
	struct webconfig *wc = ld->wc;
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert, key, ca;
	int rc, result = -1;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return fail(ld, 0, NULL, "out of memory");
	cert.data = (unsigned char *)wc->cert_pem;
	cert.size = (unsigned)strlen(wc->cert_pem);
	key.data = (unsigned char *)wc->key_pem;
	key.size = (unsigned)strlen(wc->key_pem);
	if ((rc = gnutls_certificate_set_x509_key_mem(cred, &cert, &key,
	    GNUTLS_X509_FMT_PEM)) < 0) {
		fail(ld, yn_line(ts->cert_n), "tls_server_config.cert_file",
		    "%s and key_file %s are not a PEM certificate and its key: "
		    "%s", ts->cert_file, ts->key_file, gnutls_strerror(rc));
		goto out;
	}
	if (wc->ca_pem != NULL) {
		ca.data = (unsigned char *)wc->ca_pem;
		ca.size = (unsigned)strlen(wc->ca_pem);
		if ((rc = gnutls_certificate_set_x509_trust_mem(cred, &ca,
		    GNUTLS_X509_FMT_PEM)) <= 0) {
			fail(ld, yn_line(ts->ca_n),
			    "tls_server_config.client_ca_file", "%s holds no PEM "
			    "certificate%s%s", ts->ca_file, rc < 0 ? ": " : "",
			    rc < 0 ? gnutls_strerror(rc) : "");
			goto out;
		}
	}
	result = parse_tls_material(ld);
out:
	gnutls_certificate_free_credentials(cred);
	return result;
}

static int
load_tls(struct wc_loader *ld, yaml_node_t *map)
{
	struct webconfig *wc = ld->wc;
	struct tls_settings ts;
	yaml_node_pair_t *pr;
	yaml_node_t *kn, *vn;
	const char *k, *s;
	char key[96];

	memset(&ts, 0, sizeof(ts));
	ts.min_v = 2;			/* TLS12, exporter-toolkit's default */
	ts.max_v = (int)NVERSIONS - 1;
	if (map->type != YAML_MAPPING_NODE)
		return fail(ld, yn_line(map), "tls_server_config",
		    "expected a mapping, got %s", yn_kind(map));
	for (pr = map->data.mapping.pairs.start;
	    pr < map->data.mapping.pairs.top; pr++) {
		kn = yaml_document_get_node(&ld->doc, pr->key);
		vn = yaml_document_get_node(&ld->doc, pr->value);
		if ((k = scalar(kn)) == NULL)
			return fail(ld, yn_line(kn), "tls_server_config",
			    "expected a key, got %s", yn_kind(kn));
		snprintf(key, sizeof(key), "tls_server_config.%.64s", k);
		if (strcmp(k, "cert_file") == 0) {
			if (want_scalar(ld, key, vn, &ts.cert_file) < 0)
				return -1;
			ts.cert_n = vn;
		} else if (strcmp(k, "key_file") == 0) {
			if (want_scalar(ld, key, vn, &ts.key_file) < 0)
				return -1;
			ts.key_n = vn;
		} else if (strcmp(k, "client_ca_file") == 0) {
			if (want_scalar(ld, key, vn, &ts.ca_file) < 0)
				return -1;
			ts.ca_n = vn;
		} else if (strcmp(k, "client_auth_type") == 0) {
			size_t i, n = sizeof(client_auth_names) /
			    sizeof(client_auth_names[0]);

			if (want_scalar(ld, key, vn, &s) < 0)
				return -1;
			for (i = 0; i < n; i++)
				if (strcmp(s, client_auth_names[i]) == 0)
					break;
			if (i == n)
				return fail(ld, yn_line(vn), key, "unknown "
				    "client_auth_type \"%.40s\" (want "
				    "NoClientCert, RequestClientCert, "
				    "RequireAnyClientCert, VerifyClientCertIfGiven "
				    "or RequireAndVerifyClientCert)", s);
			wc->client_auth = (enum webcfg_client_auth)i;
			ts.auth_n = vn;
		} else if (strcmp(k, "min_version") == 0) {
			if (parse_version(ld, key, vn, &ts.min_v) < 0)
				return -1;
		} else if (strcmp(k, "max_version") == 0) {
			if (parse_version(ld, key, vn, &ts.max_v) < 0)
				return -1;
		} else if (strcmp(k, "cipher_suites") == 0) {
			ts.suites_n = vn;
		} else if (strcmp(k, "curve_preferences") == 0) {
			ts.curves_n = vn;
		} else if (strcmp(k, "prefer_server_cipher_suites") == 0) {
			if (want_bool(ld, key, vn, &ts.server_order) < 0)
				return -1;
		} else if (strcmp(k, "cert") == 0 || strcmp(k, "key") == 0 ||
		    strcmp(k, "client_ca") == 0 ||
		    strcmp(k, "client_allowed_sans") == 0) {
			return fail(ld, yn_line(kn), key, "not supported by "
			    "alertnoised (use cert_file, key_file and "
			    "client_ca_file)");
		} else {
			return fail(ld, yn_line(kn), key, "unknown key");
		}
	}
	if (ts.cert_file == NULL || ts.key_file == NULL)
		return fail(ld, yn_line(map), "tls_server_config", "both "
		    "cert_file and key_file are required");
	if (ts.min_v > ts.max_v)
		return fail(ld, yn_line(map), "tls_server_config", "min_version "
		    "%s is above max_version %s", versions[ts.min_v].name,
		    versions[ts.max_v].name);
	if (ts.ca_file != NULL && wc->client_auth == WC_NO_CLIENT_CERT)
		return fail(ld, yn_line(ts.ca_n), "tls_server_config."
		    "client_ca_file", "client CAs are configured without a "
		    "client_auth_type that uses them");
	if (ts.ca_file == NULL &&
	    (wc->client_auth == WC_VERIFY_CLIENT_CERT_IF_GIVEN ||
	    wc->client_auth == WC_REQUIRE_AND_VERIFY_CLIENT_CERT))
		return fail(ld, yn_line(ts.auth_n), "tls_server_config."
		    "client_auth_type", "%s needs client_ca_file to verify "
		    "against", client_auth_names[wc->client_auth]);
	if (load_file(ld, "tls_server_config.cert_file", ts.cert_n,
	    ts.cert_file, &wc->cert_pem) < 0 ||
	    load_file(ld, "tls_server_config.key_file", ts.key_n, ts.key_file,
	    &wc->key_pem) < 0 ||
	    (ts.ca_file != NULL && load_file(ld,
	    "tls_server_config.client_ca_file", ts.ca_n, ts.ca_file,
	    &wc->ca_pem) < 0))
		return -1;
	if (check_tls_material(ld, &ts) < 0 || make_priorities(ld, &ts) < 0)
		return -1;
	wc->tls = 1;
	return 0;
}

/* --- basic_auth_users ---------------------------------------------------- */

/* Whether h is a bcrypt hash as Go's golang.org/x/crypto/bcrypt writes
 * it: "$2a$", "$2b$" or "$2y$", a two-digit cost 04..31, "$", 53 characters
 * of bcrypt's base64. */
static int
is_bcrypt(const char *h)
{
	static const char b64[] = "./ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	int cost;

	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' ||
	    strchr("aby", h[2]) == NULL || h[3] != '$' || h[6] != '$' ||
	    h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9')
		return 0;
	cost = (h[4] - '0') * 10 + (h[5] - '0');
	if (cost < 4 || cost > 31)
		return 0;
	for (const char *p = h + 7; *p; p++)
		if (strchr(b64, *p) == NULL)
			return 0;
	return 1;
}

/* A bcrypt hash of random bytes at cost: what an unknown user's password
 * is checked against. */
static char *
make_dummy(int cost)
{
	unsigned char rnd[16];
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], pw[33];
	struct crypt_data *cd;
	char *h, *out = NULL;

	if (gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd)) < 0 ||
	    crypt_gensalt_rn("$2y$", (unsigned long)cost, NULL, 0, salt,
	    sizeof(salt)) == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(pw + 2 * i, 3, "%02x", rnd[i]);
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return NULL;
	h = crypt_r(pw, salt, cd);
	if (h != NULL && h[0] == '$')
		out = strdup(h);
	free(cd);
	return out;
}

static int
load_users(struct wc_loader *ld, yaml_node_t *map)
{
	struct webconfig *wc = ld->wc;
	yaml_node_pair_t *pr;
	yaml_node_t *kn, *vn;
	const char *name, *hash;
	char key[96];
	int cost = 4;

	if (yn_is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(ld, yn_line(map), "basic_auth_users",
		    "expected a mapping of user names to bcrypt hashes, got %s",
		    yn_kind(map));
	wc->users = calloc((size_t)(map->data.mapping.pairs.top -
	    map->data.mapping.pairs.start) + 1, sizeof(*wc->users));
	if (wc->users == NULL)
		return fail(ld, 0, NULL, "out of memory");
	for (pr = map->data.mapping.pairs.start;
	    pr < map->data.mapping.pairs.top; pr++) {
		kn = yaml_document_get_node(&ld->doc, pr->key);
		vn = yaml_document_get_node(&ld->doc, pr->value);
		if ((name = scalar(kn)) == NULL || *name == '\0' ||
		    strchr(name, ':') != NULL)
			return fail(ld, yn_line(kn), "basic_auth_users",
			    "a user name must be a non-empty string without "
			    "':'");
		snprintf(key, sizeof(key), "basic_auth_users.%.64s", name);
		for (size_t i = 0; i < wc->nusers; i++)
			if (strcmp(wc->users[i].name, name) == 0)
				return fail(ld, yn_line(kn), key,
				    "duplicate user");
		/* the hash is a secret of sorts: never quoted */
		if (want_scalar(ld, key, vn, &hash) < 0)
			return -1;
		if (!is_bcrypt(hash))
			return fail(ld, yn_line(vn), key, "not a bcrypt hash "
			    "(want $2y$, $2b$ or $2a$, as htpasswd -nbB or "
			    "Python's bcrypt write)");
		if ((wc->users[wc->nusers].name = strdup(name)) == NULL ||
		    (wc->users[wc->nusers].hash = strdup(hash)) == NULL) {
			free(wc->users[wc->nusers].name);
			return fail(ld, 0, NULL, "out of memory");
		}
		wc->nusers++;
		if ((hash[4] - '0') * 10 + (hash[5] - '0') > cost)
			cost = (hash[4] - '0') * 10 + (hash[5] - '0');
	}
	if (wc->nusers > 0 && (wc->dummy_hash = make_dummy(cost)) == NULL)
		return fail(ld, 0, NULL, "making the dummy hash failed (out of "
		    "memory or no bcrypt in libcrypt)");
	return 0;
}

/* http_server_config: the part of it that means something for a server
 * speaking HTTP/1.1 only. */
static int
load_http(struct wc_loader *ld, yaml_node_t *map)
{
	yaml_node_pair_t *pr;
	yaml_node_t *kn, *vn;
	const char *k;
	char key[96];
	int on;

	if (yn_is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail(ld, yn_line(map), "http_server_config",
		    "expected a mapping, got %s", yn_kind(map));
	for (pr = map->data.mapping.pairs.start;
	    pr < map->data.mapping.pairs.top; pr++) {
		kn = yaml_document_get_node(&ld->doc, pr->key);
		vn = yaml_document_get_node(&ld->doc, pr->value);
		if ((k = scalar(kn)) == NULL)
			return fail(ld, yn_line(kn), "http_server_config",
			    "expected a key, got %s", yn_kind(kn));
		snprintf(key, sizeof(key), "http_server_config.%.64s", k);
		if (strcmp(k, "http2") == 0) {
			/* alertnoised speaks HTTP/1.1 only, either way */
			if (want_bool(ld, key, vn, &on) < 0)
				return -1;
		} else if (strcmp(k, "headers") == 0) {
			return fail(ld, yn_line(kn), key, "not supported by "
			    "alertnoised (its pages send their own security "
			    "headers)");
		} else {
			return fail(ld, yn_line(kn), key, "unknown key");
		}
	}
	return 0;
}

static void
wc_free(struct webconfig *wc)
{
	if (wc == NULL)
		return;
	for (size_t i = 0; i < wc->nusers; i++) {
		free(wc->users[i].name);
		free(wc->users[i].hash);
	}
	free(wc->users);
	free(wc->dummy_hash);
	free(wc->cert_pem);
	if (wc->key_pem != NULL) {
		explicit_bzero(wc->key_pem, strlen(wc->key_pem));
		free(wc->key_pem);
	}
	free(wc->ca_pem);
	free(wc->priorities);
	for (unsigned i = 0; i < wc->npcert; i++)
		gnutls_pcert_deinit(&wc->pcert[i]);
	free(wc->pcert);
	if (wc->key != NULL)
		gnutls_privkey_deinit(wc->key);
	if (wc->ca != NULL)
		gnutls_x509_trust_list_deinit(wc->ca, 1);
	if (wc->prio != NULL)
		gnutls_priority_deinit(wc->prio);
	free(wc->path);
	pthread_mutex_destroy(&wc->cache_mu);
	free(wc);
}

/* Reads path (size-capped) into ld->doc and sets ld->dir; the text is
 * wiped once parsed, for it may hold secrets. Returns 0 and *root (NULL: an
 * empty document or a bare null), or -1 having failed; either way the
 * caller frees ld->dir, and ld->doc (yaml_document_delete) after a 0. */
static int
load_doc(struct wc_loader *ld, const char *path, yaml_node_t **root)
{
	yaml_parser_t parser;
	const char *slash = strrchr(path, '/');
	char why[128], *text;
	size_t len;
	int rc = -1;

	*root = NULL;
	ld->dir = slash ? strndup(path, (size_t)(slash - path + 1)) :
	    strdup("");
	if (ld->dir == NULL)
		return fail(ld, 0, NULL, "out of memory");
	if ((text = read_whole(path, &len, why, sizeof(why))) == NULL)
		return fail(ld, 0, NULL, "%s", why);
	if (!yaml_parser_initialize(&parser)) {
		fail(ld, 0, NULL, "out of memory");
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, &ld->doc)) {
		fail(ld, (unsigned long)parser.problem_mark.line + 1, NULL,
		    "not YAML: %s", parser.problem ? parser.problem : "?");
		yaml_parser_delete(&parser);
		goto out;
	}
	yaml_parser_delete(&parser);
	rc = 0;
	*root = yaml_document_get_root_node(&ld->doc);
	if (*root != NULL && yn_is_null(*root))
		*root = NULL;
	else if (*root != NULL && (*root)->type != YAML_MAPPING_NODE) {
		rc = fail(ld, yn_line(*root), NULL, "expected a mapping, got "
		    "%s", yn_kind(*root));
		yaml_document_delete(&ld->doc);
	}
out:
	explicit_bzero(text, len);
	free(text);
	return rc;
}

struct webconfig *
webcfg_load(const char *path, char *err, size_t errlen)
{
	struct wc_loader ld;
	yaml_node_t *root, *kn, *vn;
	yaml_node_pair_t *pr;
	const char *k;
	int have_doc = 0, ok = 0;

	memset(&ld, 0, sizeof(ld));
	ld.file = path;
	ld.err = err;
	ld.errlen = errlen;
	if ((ld.wc = calloc(1, sizeof(*ld.wc))) == NULL) {
		fail(&ld, 0, NULL, "out of memory");
		return NULL;
	}
	ld.wc->refs = 1;
	pthread_mutex_init(&ld.wc->cache_mu, NULL);
	if ((ld.wc->path = strdup(path)) == NULL) {
		fail(&ld, 0, NULL, "out of memory");
		goto out;
	}
	if (load_doc(&ld, path, &root) < 0)
		goto out;
	have_doc = 1;
	/* an empty file: no TLS, no users, as exporter-toolkit */
	if (root == NULL) {
		ok = 1;
		goto out;
	}
	for (pr = root->data.mapping.pairs.start;
	    pr < root->data.mapping.pairs.top; pr++) {
		kn = yaml_document_get_node(&ld.doc, pr->key);
		vn = yaml_document_get_node(&ld.doc, pr->value);
		if ((k = scalar(kn)) == NULL) {
			fail(&ld, yn_line(kn), NULL, "expected a key, got %s",
			    yn_kind(kn));
			goto out;
		}
		for (yaml_node_pair_t *q = root->data.mapping.pairs.start;
		    q < pr; q++) {
			const char *prev = scalar(yaml_document_get_node(
			    &ld.doc, q->key));

			if (prev && strcmp(prev, k) == 0) {
				fail(&ld, yn_line(kn), k, "duplicate key");
				goto out;
			}
		}
		if (strcmp(k, "tls_server_config") == 0) {
			if (!yn_is_null(vn) && load_tls(&ld, vn) < 0)
				goto out;
		} else if (strcmp(k, "basic_auth_users") == 0) {
			if (load_users(&ld, vn) < 0)
				goto out;
		} else if (strcmp(k, "http_server_config") == 0) {
			if (load_http(&ld, vn) < 0)
				goto out;
		} else {
			fail(&ld, yn_line(kn), k, "unknown key (want "
			    "tls_server_config, http_server_config, "
			    "basic_auth_users)");
			goto out;
		}
	}
	ok = 1;
out:
	if (have_doc)
		yaml_document_delete(&ld.doc);
	free(ld.dir);
	if (!ok) {
		wc_free(ld.wc);
		return NULL;
	}
	return ld.wc;
}

struct webconfig *
webcfg_hold(struct webconfig *wc)
{
	__atomic_add_fetch(&wc->refs, 1, __ATOMIC_RELAXED);
	return wc;
}

void
webcfg_release(struct webconfig *wc)
{
	if (wc != NULL && __atomic_sub_fetch(&wc->refs, 1,
	    __ATOMIC_ACQ_REL) == 0)
		wc_free(wc);
}

int
webcfg_tls(const struct webconfig *wc)
{
	return wc->tls;
}

const char *
webcfg_priorities(const struct webconfig *wc)
{
	return wc->priorities;
}

int
webcfg_auth(const struct webconfig *wc)
{
	return wc->nusers > 0;
}

enum webcfg_client_auth
webcfg_client_auth(const struct webconfig *wc)
{
	return wc->client_auth;
}

/* --- client certificates ------------------------------------------------- */

/* Whether the session's client certificate chain verifies against wc's
 * client CAs (gnutls_x509_trust_list_verify_crt2: signatures, the chain up
 * to a CA of the list, the times), wc's own list rather than the session
 * credentials': those are libmicrohttpd's, set once at start. */
static int
chain_trusted(const struct webconfig *wc, gnutls_session_t s)
{
	const gnutls_datum_t *raw;
	gnutls_x509_crt_t crts[16];
	unsigned n = 0, i, got = 0, status = 1;

	if (wc->ca == NULL ||
	    (raw = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0)
		return 0;
	if (n > sizeof(crts) / sizeof(crts[0]))
		return 0;
	for (got = 0; got < n; got++) {
		if (gnutls_x509_crt_init(&crts[got]) < 0)
			goto out;
		if (gnutls_x509_crt_import(crts[got], &raw[got],
		    GNUTLS_X509_FMT_DER) < 0) {
			got++;
			goto out;
		}
	}
	if (gnutls_x509_trust_list_verify_crt2(wc->ca, crts, n, NULL, 0, 0,
	    &status, NULL) < 0)
		status = 1;
out:
	for (i = 0; i < got; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return status == 0;
}

void
webcfg_tls_session_setup(const struct webconfig *wc, gnutls_session_t s,
    gnutls_certificate_verify_function *verify)
{
	gnutls_priority_set(s, wc->prio);
	switch (wc->client_auth) {
	case WC_NO_CLIENT_CERT:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_IGNORE);
		break;
	case WC_REQUEST_CLIENT_CERT:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
		break;
	case WC_REQUIRE_ANY_CLIENT_CERT:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		break;
	case WC_VERIFY_CLIENT_CERT_IF_GIVEN:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
		gnutls_session_set_verify_function(s, verify);
		break;
	case WC_REQUIRE_AND_VERIFY_CLIENT_CERT:
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_function(s, verify);
		break;
	}
}

int
webcfg_tls_certificate(const struct webconfig *wc,
    gnutls_pcert_st **pcert, unsigned *npcert, gnutls_privkey_t *key)
{
	if (wc == NULL || !wc->tls)
		return -1;
	*pcert = wc->pcert;
	*npcert = wc->npcert;
	*key = wc->key;
	return 0;
}

const char *
webcfg_client_cert_check(const struct webconfig *wc, gnutls_session_t s)
{
	unsigned n = 0;
	int given = gnutls_certificate_get_peers(s, &n) != NULL && n > 0;

	switch (wc->client_auth) {
	case WC_NO_CLIENT_CERT:
	case WC_REQUEST_CLIENT_CERT:
		return NULL;
	case WC_REQUIRE_ANY_CLIENT_CERT:
		return given ? NULL : "no client certificate";
	case WC_VERIFY_CLIENT_CERT_IF_GIVEN:
	case WC_REQUIRE_AND_VERIFY_CLIENT_CERT:
		if (!given)
			return wc->client_auth == WC_VERIFY_CLIENT_CERT_IF_GIVEN ?
			    NULL : "no client certificate";
		if (!chain_trusted(wc, s))
			return "client certificate not trusted";
		return NULL;
	}
	return "unknown client_auth_type";	/* cannot happen */
}

/* --- passwords ----------------------------------------------------------- */

/* The cache key of a login: SHA-256 of user, password and hash, each
 * ended by a NUL. */
static int
cache_key(const char *user, const char *password, const char *hash,
    unsigned char out[32])
{
	size_t lu = strlen(user) + 1, lp = strlen(password) + 1,
	    lh = strlen(hash) + 1;
	unsigned char *buf;
	int rc;

	if ((buf = malloc(lu + lp + lh)) == NULL)
		return -1;
	memcpy(buf, user, lu);
	memcpy(buf + lu, password, lp);
	memcpy(buf + lu + lp, hash, lh);
	rc = gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, lu + lp + lh, out);
	explicit_bzero(buf, lu + lp + lh);
	free(buf);
	return rc < 0 ? -1 : 0;
}

/* a and b equal, in time that depends only on b's length */
static int
const_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	volatile unsigned char d = (unsigned char)(la != lb);

	for (size_t i = 0; i < lb; i++)
		d |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
	return d == 0;
}

enum webcfg_auth_result
webcfg_authenticate(struct webconfig *wc, const char *user,
    const char *password)
{
	const struct wc_user *u = NULL;
	struct crypt_data *cd;
	unsigned char key[32];
	const char *hash, *got;
	int have_key, ok = 0;
	size_t i;

	for (i = 0; i < wc->nusers; i++)
		if (strcmp(wc->users[i].name, user) == 0)
			u = &wc->users[i];
	hash = u ? u->hash : wc->dummy_hash;
	if (hash == NULL)
		return WC_AUTH_UNKNOWN_USER;
	have_key = cache_key(user, password, hash, key) == 0;
	if (u != NULL && have_key) {
		pthread_mutex_lock(&wc->cache_mu);
		for (i = 0; i < WC_CACHE_SLOTS; i++)
			if (wc->cache_used[i] &&
			    memcmp(wc->cache[i], key, 32) == 0)
				break;
		pthread_mutex_unlock(&wc->cache_mu);
		if (i < WC_CACHE_SLOTS)
			return WC_AUTH_OK;
	}
	if ((cd = calloc(1, sizeof(*cd))) != NULL) {
		got = crypt_r(password, hash, cd);
		ok = got != NULL && got[0] == '$' && const_equal(got, hash);
		explicit_bzero(cd, sizeof(*cd));
		free(cd);
	}
	if (u == NULL)
		return WC_AUTH_UNKNOWN_USER;
	if (!ok)
		return WC_AUTH_WRONG_PASSWORD;
	if (have_key) {
		pthread_mutex_lock(&wc->cache_mu);
		memcpy(wc->cache[wc->cache_next], key, 32);
		wc->cache_used[wc->cache_next] = 1;
		wc->cache_next = (wc->cache_next + 1) % WC_CACHE_SLOTS;
		pthread_mutex_unlock(&wc->cache_mu);
	}
	return WC_AUTH_OK;
}

/* --- the failure limit --------------------------------------------------- */

static struct {
	char	 addr[64];	/* "" free */
	double	 tokens;
	int64_t	 at_ms;		/* when tokens was computed */
} limit_slots[WC_LIMIT_SLOTS];
static pthread_mutex_t limit_mu = PTHREAD_MUTEX_INITIALIZER;

/* FNV-1a of addr */
static size_t
limit_hash(const char *addr)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *addr; addr++)
		h = (h ^ (unsigned char)*addr) * 1099511628211ULL;
	return (size_t)(h % WC_LIMIT_SLOTS);
}

/* The slot of addr, or the stalest of its probe window, made addr's with
 * a full bucket. Under limit_mu. */
static size_t
limit_slot(const char *addr, size_t per_minute, int64_t now_ms)
{
	size_t h = limit_hash(addr), best = h, i, s;

	for (i = 0; i < WC_LIMIT_PROBE; i++) {
		s = (h + i) % WC_LIMIT_SLOTS;
		if (strcmp(limit_slots[s].addr, addr) == 0)
			return s;
		if (limit_slots[s].addr[0] == '\0' ||
		    limit_slots[s].at_ms < limit_slots[best].at_ms)
			best = s;
	}
	snprintf(limit_slots[best].addr, sizeof(limit_slots[best].addr), "%s",
	    addr);
	limit_slots[best].tokens = (double)per_minute;
	limit_slots[best].at_ms = now_ms;
	return best;
}

int
webcfg_limit_take(const char *addr, size_t per_minute, int64_t now_ms,
    int *retry_after)
{
	double rate = (double)per_minute / 60000.0;	/* tokens a ms */
	size_t s;
	int rc = 0;

	pthread_mutex_lock(&limit_mu);
	s = limit_slot(addr, per_minute, now_ms);
	if (now_ms > limit_slots[s].at_ms) {
		limit_slots[s].tokens += (double)(now_ms -
		    limit_slots[s].at_ms) * rate;
		limit_slots[s].at_ms = now_ms;
	}
	if (limit_slots[s].tokens > (double)per_minute)
		limit_slots[s].tokens = (double)per_minute;
	if (limit_slots[s].tokens >= 1.0) {
		limit_slots[s].tokens -= 1.0;
	} else {
		*retry_after = (int)((1.0 - limit_slots[s].tokens) / rate /
		    1000.0) + 1;
		rc = -1;
	}
	pthread_mutex_unlock(&limit_mu);
	return rc;
}

void
webcfg_limit_give(const char *addr, size_t per_minute)
{
	size_t h = limit_hash(addr), s;

	pthread_mutex_lock(&limit_mu);
	for (size_t i = 0; i < WC_LIMIT_PROBE; i++) {
		s = (h + i) % WC_LIMIT_SLOTS;
		if (strcmp(limit_slots[s].addr, addr) == 0) {
			limit_slots[s].tokens += 1.0;
			if (limit_slots[s].tokens > (double)per_minute)
				limit_slots[s].tokens = (double)per_minute;
			break;
		}
	}
	pthread_mutex_unlock(&limit_mu);
}

/* --- --http.config.file: the client side --------------------------------- */

/* The keys of prometheus/common config.HTTPClientConfig (http_config.go)
 * the client commands know: each key's value node is noted in seen[], by
 * field, as walk_keys meets it, and the key's own node in keyn[]. */
enum hc_field {
	HC_BASIC_AUTH, HC_USERNAME, HC_USERNAME_FILE, HC_PASSWORD,
	HC_PASSWORD_FILE, HC_AUTHORIZATION, HC_AUTH_TYPE, HC_CREDENTIALS,
	HC_CREDENTIALS_FILE, HC_TLS_CONFIG, HC_CA_FILE, HC_CERT_FILE,
	HC_KEY_FILE, HC_SERVER_NAME, HC_INSECURE, HC_MIN_VERSION,
	HC_MAX_VERSION, HC_FOLLOW_REDIRECTS, HC_ENABLE_HTTP2, HC_NFIELDS
};

enum hc_kind { HK_STRING, HK_BOOL, HK_VERSION, HK_MAPPING, HK_UNSUPPORTED };

struct hc_key {
	const char *name;
	enum hc_kind kind;
	int field;			/* enum hc_field; -1 unsupported */
	const struct hc_key *sub;	/* HK_MAPPING's keys */
};

static const struct hc_key basic_auth_keys[] = {
	{ "username", HK_STRING, HC_USERNAME, NULL },
	{ "username_file", HK_STRING, HC_USERNAME_FILE, NULL },
	{ "password", HK_STRING, HC_PASSWORD, NULL },
	{ "password_file", HK_STRING, HC_PASSWORD_FILE, NULL },
	{ NULL, HK_UNSUPPORTED, -1, NULL },
};
static const struct hc_key authorization_keys[] = {
	{ "type", HK_STRING, HC_AUTH_TYPE, NULL },
	{ "credentials", HK_STRING, HC_CREDENTIALS, NULL },
	{ "credentials_file", HK_STRING, HC_CREDENTIALS_FILE, NULL },
	{ NULL, HK_UNSUPPORTED, -1, NULL },
};
static const struct hc_key tls_config_keys[] = {
	{ "ca_file", HK_STRING, HC_CA_FILE, NULL },
	{ "cert_file", HK_STRING, HC_CERT_FILE, NULL },
	{ "key_file", HK_STRING, HC_KEY_FILE, NULL },
	{ "server_name", HK_STRING, HC_SERVER_NAME, NULL },
	{ "insecure_skip_verify", HK_BOOL, HC_INSECURE, NULL },
	{ "min_version", HK_VERSION, HC_MIN_VERSION, NULL },
	{ "max_version", HK_VERSION, HC_MAX_VERSION, NULL },
	{ "ca", HK_UNSUPPORTED, -1, NULL },
	{ "cert", HK_UNSUPPORTED, -1, NULL },
	{ "key", HK_UNSUPPORTED, -1, NULL },
	{ NULL, HK_UNSUPPORTED, -1, NULL },
};
static const struct hc_key client_keys[] = {
	{ "basic_auth", HK_MAPPING, HC_BASIC_AUTH, basic_auth_keys },
	{ "authorization", HK_MAPPING, HC_AUTHORIZATION, authorization_keys },
	{ "tls_config", HK_MAPPING, HC_TLS_CONFIG, tls_config_keys },
	{ "follow_redirects", HK_BOOL, HC_FOLLOW_REDIRECTS, NULL },
	{ "enable_http2", HK_BOOL, HC_ENABLE_HTTP2, NULL },
	{ "bearer_token", HK_UNSUPPORTED, -1, NULL },
	{ "bearer_token_file", HK_UNSUPPORTED, -1, NULL },
	{ "oauth2", HK_UNSUPPORTED, -1, NULL },
	{ "proxy_url", HK_UNSUPPORTED, -1, NULL },
	{ "no_proxy", HK_UNSUPPORTED, -1, NULL },
	{ "proxy_from_environment", HK_UNSUPPORTED, -1, NULL },
	{ "proxy_connect_header", HK_UNSUPPORTED, -1, NULL },
	{ "http_headers", HK_UNSUPPORTED, -1, NULL },
	{ NULL, HK_UNSUPPORTED, -1, NULL },
};

/* Walks the mapping map against keys, checking each value for its key's
 * kind (and a mapping's keys, recursively) and noting it in seen[] (the
 * key in keyn[]); prefix names map in messages ("" at the top,
 * "tls_config."). An unknown key, one repeated, or one alertnoised does
 * not support fails, naming it. */
static int
walk_keys(struct wc_loader *ld, yaml_node_t *map, const char *prefix,
    const struct hc_key *keys, yaml_node_t **seen, yaml_node_t **keyn)
{
	yaml_node_pair_t *pr;
	yaml_node_t *kn, *vn;
	const struct hc_key *kd;
	const char *k, *s;
	char key[96], sub[100];
	int v;

	for (pr = map->data.mapping.pairs.start;
	    pr < map->data.mapping.pairs.top; pr++) {
		kn = yaml_document_get_node(&ld->doc, pr->key);
		vn = yaml_document_get_node(&ld->doc, pr->value);
		if ((k = scalar(kn)) == NULL)
			return fail(ld, yn_line(kn), prefix[0] ? prefix : NULL,
			    "expected a key, got %s", yn_kind(kn));
		snprintf(key, sizeof(key), "%s%.64s", prefix, k);
		for (kd = keys; kd->name != NULL && strcmp(kd->name, k) != 0;
		    kd++)
			;
		if (kd->name == NULL)
			return fail(ld, yn_line(kn), key, "unknown key");
		if (kd->kind == HK_UNSUPPORTED)
			return fail(ld, yn_line(kn), key, "not supported by "
			    "alertnoised's client");
		if (seen[kd->field] != NULL)
			return fail(ld, yn_line(kn), key, "duplicate key");
		seen[kd->field] = vn;
		keyn[kd->field] = kn;
		switch (kd->kind) {
		case HK_STRING:
			if (want_scalar(ld, key, vn, &s) < 0)
				return -1;
			break;
		case HK_BOOL:
			if (want_bool(ld, key, vn, &v) < 0)
				return -1;
			break;
		case HK_VERSION:
			if (parse_version(ld, key, vn, &v) < 0)
				return -1;
			break;
		case HK_MAPPING:
			if (yn_is_null(vn))
				break;
			if (vn->type != YAML_MAPPING_NODE)
				return fail(ld, yn_line(vn), key, "expected a "
				    "mapping, got %s", yn_kind(vn));
			snprintf(sub, sizeof(sub), "%s.", key);
			if (walk_keys(ld, vn, sub, kd->sub, seen, keyn) < 0)
				return -1;
			break;
		case HK_UNSUPPORTED:
			break;	/* cannot happen: refused above */
		}
	}
	return 0;
}

/* A copy of the string at seen[f] into *out (left NULL when the key is
 * absent). */
static int
client_string(struct wc_loader *ld, yaml_node_t **seen, int f, char **out)
{
	if (seen[f] == NULL)
		return 0;
	if ((*out = strdup(scalar(seen[f]))) == NULL)
		return fail(ld, 0, NULL, "out of memory");
	return 0;
}

/* The path of the file key (at seen[f]) names, resolved, into *out; it
 * must be readable now, so that a typo is told at once. */
static int
client_path(struct wc_loader *ld, yaml_node_t **seen, int f, const char *key,
    char **out)
{
	if (seen[f] == NULL)
		return 0;
	if ((*out = resolve(ld, scalar(seen[f]))) == NULL)
		return -1;
	if (access(*out, R_OK) < 0)
		return fail(ld, yn_line(seen[f]), key, "reading %s: %s", *out,
		    strerror(errno));
	return 0;
}

/* A secret given inline (seen[f]) or in a file (seen[ff], its text without
 * the white space around it, as prometheus/common reads a secret file)
 * into *out; never both. It must fit an HTTP header: no control
 * characters. */
static int
client_secret(struct wc_loader *ld, yaml_node_t **seen, int f, int ff,
    const char *key, const char *file_key, char **out)
{
	char *s;
	size_t n;

	if (seen[f] != NULL && seen[ff] != NULL)
		return fail(ld, yn_line(seen[ff]), file_key, "at most one of "
		    "%s and %s", key, file_key);
	if (seen[ff] != NULL) {
		if (load_file(ld, file_key, seen[ff], scalar(seen[ff]),
		    out) < 0)
			return -1;
		for (s = *out; *s == ' ' || *s == '\t' || *s == '\n' ||
		    *s == '\r'; s++)
			;
		n = strlen(s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
		    s[n - 1] == '\n' || s[n - 1] == '\r'))
			n--;
		memmove(*out, s, n);
		(*out)[n] = '\0';
	} else if (client_string(ld, seen, f, out) < 0)
		return -1;
	for (s = *out; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return fail(ld, yn_line(seen[seen[ff] ? ff : f]),
			    seen[ff] ? file_key : key, "holds a control "
			    "character");
	return 0;
}

void
webcfg_client_free(struct webcfg_client *c)
{
	if (c == NULL)
		return;
	free(c->username);
	if (c->password != NULL) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	if (c->authorization != NULL) {
		explicit_bzero(c->authorization, strlen(c->authorization));
		free(c->authorization);
	}
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->server_name);
	free(c);
}

/* The client configuration of the walked tree (seen[], keyn[]) into c. */
static int
client_build(struct wc_loader *ld, yaml_node_t **seen, yaml_node_t **keyn,
    struct webcfg_client *c)
{
	char *type = NULL, *cred = NULL;
	int rc = -1;

	if (client_secret(ld, seen, HC_USERNAME, HC_USERNAME_FILE,
	    "basic_auth.username", "basic_auth.username_file",
	    &c->username) < 0 ||
	    client_secret(ld, seen, HC_PASSWORD, HC_PASSWORD_FILE,
	    "basic_auth.password", "basic_auth.password_file",
	    &c->password) < 0 ||
	    client_string(ld, seen, HC_AUTH_TYPE, &type) < 0 ||
	    client_secret(ld, seen, HC_CREDENTIALS, HC_CREDENTIALS_FILE,
	    "authorization.credentials", "authorization.credentials_file",
	    &cred) < 0 ||
	    client_path(ld, seen, HC_CA_FILE, "tls_config.ca_file",
	    &c->ca_file) < 0 ||
	    client_path(ld, seen, HC_CERT_FILE, "tls_config.cert_file",
	    &c->cert_file) < 0 ||
	    client_path(ld, seen, HC_KEY_FILE, "tls_config.key_file",
	    &c->key_file) < 0 ||
	    client_string(ld, seen, HC_SERVER_NAME, &c->server_name) < 0)
		goto out;
	/* the checks of HTTPClientConfig.Validate and TLSConfig.Validate */
	if ((c->username != NULL || c->password != NULL) &&
	    (type != NULL || cred != NULL)) {
		fail(ld, yn_line(keyn[HC_AUTHORIZATION]), "authorization",
		    "at most one of basic_auth and authorization");
		goto out;
	}
	if (c->password != NULL && c->username == NULL) {
		fail(ld, yn_line(keyn[HC_BASIC_AUTH]), "basic_auth", "a "
		    "password without a username");
		goto out;
	}
	if (c->username != NULL && strchr(c->username, ':') != NULL) {
		fail(ld, yn_line(keyn[HC_BASIC_AUTH]), "basic_auth.username",
		    "holds ':', which basic auth cannot send (RFC 7617)");
		goto out;
	}
	if (type != NULL && strcasecmp(type, "basic") == 0) {
		fail(ld, yn_line(seen[HC_AUTH_TYPE]), "authorization.type",
		    "cannot be \"Basic\": use basic_auth");
		goto out;
	}
	if (type != NULL && (type[0] == '\0' || strpbrk(type, " \t\r\n") !=
	    NULL)) {
		fail(ld, yn_line(seen[HC_AUTH_TYPE]), "authorization.type",
		    "want one word, such as Bearer");
		goto out;
	}
	if (type != NULL && cred == NULL) {
		fail(ld, yn_line(keyn[HC_AUTHORIZATION]), "authorization",
		    "credentials or credentials_file is required");
		goto out;
	}
	if (cred != NULL && asprintf(&c->authorization, "%s %s",
	    type ? type : "Bearer", cred) < 0) {
		c->authorization = NULL;
		fail(ld, 0, NULL, "out of memory");
		goto out;
	}
	if (c->server_name != NULL && (c->server_name[0] == '\0' ||
	    c->server_name[strspn(c->server_name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")] != '\0')) {
		fail(ld, yn_line(seen[HC_SERVER_NAME]), "tls_config.server_name",
		    "want a host name (letters, digits, '.' and '-')");
		goto out;
	}
	if ((c->cert_file == NULL) != (c->key_file == NULL)) {
		fail(ld, yn_line(keyn[HC_TLS_CONFIG]), "tls_config", "both "
		    "cert_file and key_file, or neither");
		goto out;
	}
	c->insecure_skip_verify = seen[HC_INSECURE] != NULL &&
	    scalar(seen[HC_INSECURE])[0] == 't';
	c->follow_redirects = seen[HC_FOLLOW_REDIRECTS] == NULL ||
	    scalar(seen[HC_FOLLOW_REDIRECTS])[0] == 't';
	c->min_version = c->max_version = -1;
	if ((seen[HC_MIN_VERSION] != NULL && parse_version(ld,
	    "tls_config.min_version", seen[HC_MIN_VERSION],
	    &c->min_version) < 0) || (seen[HC_MAX_VERSION] != NULL &&
	    parse_version(ld, "tls_config.max_version", seen[HC_MAX_VERSION],
	    &c->max_version) < 0))
		goto out;
	if (c->min_version >= 0 && c->max_version >= 0 &&
	    c->min_version > c->max_version) {
		fail(ld, yn_line(keyn[HC_TLS_CONFIG]), "tls_config",
		    "min_version %s is above max_version %s",
		    versions[c->min_version].name,
		    versions[c->max_version].name);
		goto out;
	}
	rc = 0;
out:
	free(type);
	if (cred != NULL) {
		explicit_bzero(cred, strlen(cred));
		free(cred);
	}
	return rc;
}

struct webcfg_client *
webcfg_client_load(const char *path, char *err, size_t errlen)
{
	struct wc_loader ld;
	yaml_node_t *root, *seen[HC_NFIELDS], *keyn[HC_NFIELDS];
	struct webcfg_client *c;
	int have_doc = 0, ok = 0;

	memset(&ld, 0, sizeof(ld));
	memset(seen, 0, sizeof(seen));
	memset(keyn, 0, sizeof(keyn));
	ld.file = path;
	ld.err = err;
	ld.errlen = errlen;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		fail(&ld, 0, NULL, "out of memory");
		return NULL;
	}
	if (load_doc(&ld, path, &root) < 0)
		goto out;
	have_doc = 1;
	if (root != NULL && walk_keys(&ld, root, "", client_keys, seen,
	    keyn) < 0)
		goto out;
	if (client_build(&ld, seen, keyn, c) < 0)
		goto out;
	ok = 1;
out:
	if (have_doc)
		yaml_document_delete(&ld.doc);
	free(ld.dir);
	if (!ok) {
		webcfg_client_free(c);
		return NULL;
	}
	return c;
}
