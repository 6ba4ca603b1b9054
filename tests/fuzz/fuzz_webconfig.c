/* fuzz_webconfig.c -- libFuzzer harness for the --web.config.file loader,
 * daemon/webconfig.c (exporter-toolkit's format).
 *
 * The input is the text of a web config file. webcfg_load reads only from
 * a path, so LLVMFuzzerInitialize makes a temporary directory (under
 * $TMPDIR or /tmp, removed at exit) holding the file each input is written
 * to and a self-signed ECDSA certificate and its key made there with
 * GnuTLS (cert.pem, key.pem), which the seeds name as cert_file, key_file
 * and client_ca_file: inputs reach the TLS checks with real material.
 *
 * Loading only: nothing here authenticates. The loader itself runs one
 * bcrypt, the unknown user's dummy hash at the users' highest cost (up to
 * 31: hours); the harness links with -Wl,--wrap=crypt_r and hashes at cost
 * 04 instead, so that a fuzzed cost costs nothing.
 *
 * Checked on every input: a configuration or a message, never both; what
 * loaded answers its accessors consistently (TLS material exactly when TLS
 * is on, a priority string GnuTLS accepts) and equals itself.
 *
 *   make fuzz                        build all harnesses, run each FUZZ_SECONDS
 *   build/fuzz/fuzz_webconfig/fuzz_webconfig \
 *       build/fuzz/fuzz_webconfig/corpus build/fuzz/fuzz_webconfig/seed
 *
 * Seeds: tests/fuzz/seeds/webconfig/. */
#include <crypt.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "fuzz.h"
#include "webconfig.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
char *__real_crypt_r(const char *, const char *, struct crypt_data *);
char *__wrap_crypt_r(const char *, const char *, struct crypt_data *);


static char dir[4096], path[4200], cert_path[4200], key_path[4200];
static int fd = -1;

/* crypt_r for webconfig.c (the linker's --wrap): a bcrypt setting
 * ("$2y$NN$salt") is hashed at cost 04 whatever NN says. */
char *
__wrap_crypt_r(const char *phrase, const char *setting, struct crypt_data *cd)
{
	char s[CRYPT_OUTPUT_SIZE];

	if (strncmp(setting, "$2", 2) == 0 && strlen(setting) >= 7 &&
	    strlen(setting) < sizeof(s) && setting[3] == '$' &&
	    setting[6] == '$') {
		memcpy(s, setting, strlen(setting) + 1);
		s[4] = '0';
		s[5] = '4';
		return __real_crypt_r(phrase, s, cd);
	}
	return __real_crypt_r(phrase, setting, cd);
}

static void
remove_files(void)
{
	unlink(path);
	unlink(cert_path);
	unlink(key_path);
	rmdir(dir);
}

static void
write_pem(const char *name, const gnutls_datum_t *d)
{
	FILE *f = fopen(name, "wb");

	REQUIRE(f != NULL);
	REQUIRE(fwrite(d->data, 1, d->size, f) == d->size);
	REQUIRE(fclose(f) == 0);
}

/* A self-signed CA certificate for "localhost" and its P-256 key, as PEM
 * files in dir. */
static void
make_cert(void)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t pem;
	unsigned char serial[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	time_t now = time(NULL);

	REQUIRE(gnutls_x509_privkey_init(&key) == 0);
	REQUIRE(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) == 0);
	REQUIRE(gnutls_x509_crt_init(&crt) == 0);
	REQUIRE(gnutls_x509_crt_set_version(crt, 3) == 0);
	REQUIRE(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) == 0);
	REQUIRE(gnutls_x509_crt_set_activation_time(crt, now - 3600) == 0);
	REQUIRE(gnutls_x509_crt_set_expiration_time(crt, now + 86400 * 365) ==
	    0);
	REQUIRE(gnutls_x509_crt_set_dn(crt, "CN=localhost", NULL) == 0);
	REQUIRE(gnutls_x509_crt_set_basic_constraints(crt, 1, -1) == 0);
	REQUIRE(gnutls_x509_crt_set_key(crt, key) == 0);
	REQUIRE(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) ==
	    0);
	REQUIRE(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) == 0);
	write_pem(cert_path, &pem);
	gnutls_free(pem.data);
	REQUIRE(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem) ==
	    0);
	write_pem(key_path, &pem);
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/fuzz_webconfig.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		abort();
	}
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", dir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
	atexit(remove_files);
	REQUIRE((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600)) >= 0);
	make_cert();
	return 0;
}

static void
check_webconfig(const struct webconfig *wc)
{
	const char *prio = webcfg_priorities(wc);
	enum webcfg_client_auth ca = webcfg_client_auth(wc);
	gnutls_pcert_st *pc = NULL;
	gnutls_privkey_t key = NULL;
	unsigned n = 0;

	REQUIRE(ca >= WC_NO_CLIENT_CERT &&
	    ca <= WC_REQUIRE_AND_VERIFY_CLIENT_CERT);
	if (webcfg_tls(wc)) {
		gnutls_priority_t p;

		REQUIRE(webcfg_tls_certificate(wc, &pc, &n, &key) == 0);
		REQUIRE(pc != NULL && n > 0 && key != NULL);
		REQUIRE(prio != NULL);
		REQUIRE(gnutls_priority_init(&p, prio, NULL) == 0);
		gnutls_priority_deinit(p);
	} else {
		REQUIRE(webcfg_tls_certificate(wc, &pc, &n, &key) < 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct webconfig *wc;
	char err[512];

	fuzz_put_file(fd, data, size);
	err[0] = '\0';
	if ((wc = webcfg_load(path, err, sizeof(err))) == NULL) {
		REQUIRE(err[0] != '\0');
		return 0;
	}
	check_webconfig(wc);
	webcfg_release(wc);
	return 0;
}
