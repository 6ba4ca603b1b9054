/* webconfig.h -- the web configuration file of --web.config.file, in
 * Prometheus exporter-toolkit's format (TLS, client certificates, basic
 * auth users), and what the HTTP server asks of it: the TLS certificate,
 * settings and client certificate check of each handshake, a user's
 * password per request (webconfig.c; daemon/ only). */
#ifndef AN_WEBCONFIG_H
#define AN_WEBCONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>

/* tls_server_config.client_auth_type, as Go's crypto/tls.ClientAuthType */
enum webcfg_client_auth {
	WC_NO_CLIENT_CERT,
	WC_REQUEST_CLIENT_CERT,
	WC_REQUIRE_ANY_CLIENT_CERT,
	WC_VERIFY_CLIENT_CERT_IF_GIVEN,
	WC_REQUIRE_AND_VERIFY_CLIENT_CERT,
};

/* One loaded web configuration: immutable once loaded, shared by the
 * requests that hold it (webcfg_hold/webcfg_release). */
struct webconfig;

/* Loads and checks path: every key known (an unknown one is an error
 * naming it), the certificate and key loadable and a pair, the client CA
 * loadable, the GnuTLS priorities valid, every password a bcrypt hash.
 * Relative file names are relative to path's directory. Returns the
 * configuration (one hold, the caller's) or NULL with "FILE:LINE: KEY:
 * what is wrong" (or "FILE: what") in err. */
struct webconfig *webcfg_load(const char *path, char *err, size_t errlen);

struct webconfig *webcfg_hold(struct webconfig *wc);
/* Drops a hold; the last frees wc. NULL is allowed. */
void webcfg_release(struct webconfig *wc);

/* Whether wc has a tls_server_config: the server speaks only TLS. */
int webcfg_tls(const struct webconfig *wc);
/* The GnuTLS priority string min_version, max_version, cipher_suites and
 * curve_preferences make (owned by wc). */
const char *webcfg_priorities(const struct webconfig *wc);
enum webcfg_client_auth webcfg_client_auth(const struct webconfig *wc);

/* The certificate chain and private key a handshake serves (for a
 * gnutls_certificate_retrieve_function2), parsed at load and owned by wc:
 * they stay valid while wc is held. Returns -1 when wc has no
 * tls_server_config. */
int webcfg_tls_certificate(const struct webconfig *wc,
    gnutls_pcert_st **pcert, unsigned *npcert, gnutls_privkey_t *key);

/* Prepares a new TLS session before its handshake: wc's priorities
 * (min_version, max_version, cipher_suites, curve_preferences; the
 * session uses wc's priority cache, so wc must outlive it) and
 * client_auth_type: asks for (or demands) a client certificate, a missing
 * required one failing the handshake; when the certificate must verify
 * against client_ca_file, verify is run by the handshake to check it
 * (webcfg_client_cert_check) and fails it by returning nonzero. */
void webcfg_tls_session_setup(const struct webconfig *wc,
    gnutls_session_t session, gnutls_certificate_verify_function *verify);
/* NULL when the session's client certificate passes wc's
 * client_auth_type, verified against wc's client_ca_file (not the
 * session credentials' trust list), else why not ("no client
 * certificate", "client certificate not trusted"). */
const char *webcfg_client_cert_check(const struct webconfig *wc,
    gnutls_session_t session);

/* Whether wc has basic_auth_users: every request but /-/healthy and
 * /-/ready must then authenticate. */
int webcfg_auth(const struct webconfig *wc);

enum webcfg_auth_result { WC_AUTH_OK, WC_AUTH_UNKNOWN_USER,
    WC_AUTH_WRONG_PASSWORD };

/* Checks user and password against basic_auth_users' bcrypt hashes
 * (libxcrypt crypt_r), the result compared in constant time. An unknown
 * user is checked against a dummy hash of the users' highest cost, so it
 * takes as long as a known one. A success is cached (keyed by a SHA-256 of
 * user, password and hash, never the password itself) so that a client
 * sending its credentials on every request costs one bcrypt, as
 * exporter-toolkit caches. Thread-safe. */
enum webcfg_auth_result webcfg_authenticate(struct webconfig *wc,
    const char *user, const char *password);

/* The failed-authentication limit, per client address: a token bucket of
 * per_minute tokens refilled at per_minute a minute. webcfg_limit_take
 * takes a token before a password is checked: 0, or -1 when the address
 * has none left (answer 429 without running bcrypt) with the seconds until
 * it has one in *retry_after. webcfg_limit_give gives it back after a
 * success. Shared by every web configuration; thread-safe. */
int webcfg_limit_take(const char *addr, size_t per_minute, int64_t now_ms,
    int *retry_after);
void webcfg_limit_give(const char *addr, size_t per_minute);

/* --- --http.config.file: the client commands' side ------------------ */

/* What the client commands (client.c) send a daemon: the part of
 * Prometheus' HTTP client configuration (prometheus/common
 * config.HTTPClientConfig, as promtool and amtool take with
 * --http.config.file) that a client of alertnoised needs. Plain data, the
 * loader's result; every string NULL when not configured. */
struct webcfg_client {
	char	*username, *password;	/* basic_auth; the files read */
	char	*authorization;		/* "Bearer TOKEN": a whole header
					   value */
	char	*ca_file, *cert_file, *key_file;	/* tls_config, paths */
	char	*server_name;		/* the name the certificate must
					   carry, sent as SNI */
	int	 insecure_skip_verify;
	int	 min_version, max_version;	/* 0 TLS 1.0 .. 3 TLS 1.3;
						   -1 unset */
	int	 follow_redirects;	/* default 1, as Prometheus */
};

/* Loads and checks path: every key known (an unknown one, or one the
 * client does not support, is an error naming it), the exclusive keys
 * alone, password_file and credentials_file read (without the white space
 * around them), ca_file, cert_file and key_file readable. Relative file
 * names are relative to path's directory. Returns the configuration (the
 * caller frees it with webcfg_client_free) or NULL with "FILE:LINE: KEY:
 * what is wrong" (or "FILE: what") in err, which never holds a secret. */
struct webcfg_client *webcfg_client_load(const char *path, char *err,
    size_t errlen);
/* Frees c, its secrets wiped first. NULL is allowed. */
void webcfg_client_free(struct webcfg_client *c);

#endif
