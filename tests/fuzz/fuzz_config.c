/* fuzz_config.c -- libFuzzer harness for the YAML configuration of
 * lib/core/config.c.
 *
 * The input is the text of a configuration file. cfg_load reads only from
 * a path, so each input is written to one temporary file, made once (in
 * LLVMFuzzerInitialize, under $TMPDIR or /tmp, removed at exit), and
 * loaded from there; the same text also goes through cfg_yaml_redact (what
 * GET /api/v1/status/config shows of it).
 *
 * Checked on every input: cfg_load answers a configuration or a message,
 * never both; what it loaded holds its text and the documented bounds of
 * a few keys; the redacted text is again YAML, and redacting it a second
 * time changes nothing.
 *
 *   make fuzz                        build all harnesses, run each FUZZ_SECONDS
 *   build/fuzz/fuzz_config/fuzz_config build/fuzz/fuzz_config/corpus \
 *       build/fuzz/fuzz_config/seed
 *
 * Seeds: config/alertnoised.yml and tests/data/config/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "config.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);


static char path[4096];
static int fd = -1;

static void
remove_file(void)
{
	unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/fuzz_config.XXXXXX", dir);
	if ((fd = mkstemp(path)) < 0) {
		perror(path);
		abort();
	}
	atexit(remove_file);
	return 0;
}

static void
check_config(const struct an_config *c, const uint8_t *data, size_t size)
{
	REQUIRE(c->path != NULL && strcmp(c->path, path) == 0);
	REQUIRE(c->text != NULL && memcmp(c->text, data, size) == 0);
	REQUIRE(c->listen_address != NULL && c->storage_path != NULL);
	REQUIRE(c->retention_ms >= 0 && c->read_timeout_ms >= 0);
	REQUIRE(c->an_flap_low <= c->an_flap_high);
	REQUIRE(c->report_tz != NULL);
	REQUIRE(c->report_working_hours.start <
	    c->report_working_hours.end);
	REQUIRE(c->n_metrics_windows >= 1);
	for (size_t i = 0; i < c->n_metrics_windows; i++) {
		int64_t ms;

		REQUIRE(cfg_parse_window(c->metrics_windows[i], &ms) == 0);
	}
	REQUIRE(c->n_replica_labels == 0 || c->replica_labels != NULL);
	for (size_t i = 0; i < c->n_overrides; i++)
		REQUIRE(c->overrides[i].match != NULL);
	for (size_t i = 0; i < c->n_replay_routes; i++)
		REQUIRE(c->replay_routes[i].receiver != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct an_config *c = NULL;
	char err[512], *red, *red2;

	fuzz_put_file(fd, data, size);
	err[0] = '\0';
	if (cfg_load(path, &c, err, sizeof(err)) == 0) {
		REQUIRE(c != NULL);
		check_config(c, data, size);
		cfg_free(c);
	} else {
		REQUIRE(c == NULL);
		REQUIRE(err[0] != '\0');
	}

	err[0] = '\0';
	if ((red = cfg_yaml_redact((const char *)data, size, err,
	    sizeof(err))) == NULL) {
		REQUIRE(err[0] != '\0');
		return 0;
	}
	red2 = cfg_yaml_redact(red, strlen(red), err, sizeof(err));
	REQUIRE(red2 != NULL);
	REQUIRE(strcmp(red, red2) == 0);
	free(red2);
	free(red);
	return 0;
}
