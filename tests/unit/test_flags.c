/* test_flags.c -- lib/core/flags.c: the table-driven flag parser of the
 * daemon and its subcommands, and the messages a user sees on a bad flag. */
#include "t.h"
#include "flags.h"

/* The flags of a made-up command, as the daemon's table is built. */
struct opts {
	const char *config_file, *storage_path;
	const char *match[2];
	size_t nmatch;
	int check, help;
};

/* Parses argv (NULL-terminated, argv[0] the command) with the test table.
 * Returns flags_parse's result; what it printed in *msg (the caller frees). */
static int
parse(char **argv, struct opts *o, char **msg)
{
	const struct flag_def defs[] = {
		{ "-h", FLAG_STOP, .on = &o->help },
		{ "--help", FLAG_STOP, .on = &o->help },
		{ "--check-config", FLAG_SWITCH, .on = &o->check },
		{ "--config.file", FLAG_VALUE, .value = &o->config_file },
		{ "--storage.path", FLAG_VALUE, .value = &o->storage_path },
		{ "--match", FLAG_LIST, .value = o->match, .n = &o->nmatch,
		    .max = 2 },
	};
	size_t len = 0;
	FILE *err;
	int argc = 0, rc;

	memset(o, 0, sizeof(*o));
	o->config_file = "default.yml";
	while (argv[argc] != NULL)
		argc++;
	err = open_memstream(msg, &len);
	rc = flags_parse(argc, argv, defs, sizeof(defs) / sizeof(defs[0]),
	    "alertnoised test", err);
	fclose(err);
	return rc;
}

TEST(value_after_equals_and_as_next_arg)
{
	char *argv[] = { "test", "--config.file=a.yml", "--storage.path",
	    "/var/lib/x", NULL };
	struct opts o;
	char *msg;

	CHECK_INT(parse(argv, &o, &msg), 0);
	CHECK_STR(o.config_file, "a.yml");
	CHECK_STR(o.storage_path, "/var/lib/x");
	CHECK_INT(o.check, 0);
	CHECK_STR(msg, "");
	free(msg);
}

TEST(defaults_stay_and_last_value_wins)
{
	char *none[] = { "test", NULL };
	char *twice[] = { "test", "--config.file=a", "--config.file", "b",
	    "--config.file=", NULL };
	struct opts o;
	char *msg;

	CHECK_INT(parse(none, &o, &msg), 0);
	CHECK_STR(o.config_file, "default.yml");
	CHECK(o.storage_path == NULL);
	free(msg);
	CHECK_INT(parse(twice, &o, &msg), 0);
	CHECK_STR(o.config_file, "");
	free(msg);
}

TEST(switch_sets_its_int)
{
	char *argv[] = { "test", "--check-config", NULL };
	struct opts o;
	char *msg;

	CHECK_INT(parse(argv, &o, &msg), 0);
	CHECK_INT(o.check, 1);
	free(msg);
}

TEST(missing_value)
{
	char *argv[] = { "test", "--check-config", "--storage.path", NULL };
	struct opts o;
	char *msg;

	CHECK_INT(parse(argv, &o, &msg), 2);
	CHECK_STR(msg, "alertnoised test: error: flag --storage.path needs a "
	    "value, try --help\n");
	free(msg);
}

TEST(unknown_flag)
{
	/* a switch takes no value; a name is no prefix of a longer one; an
	 * argument that is no flag at all */
	char *bad[][3] = {
		{ "test", "--bogus", NULL },
		{ "test", "--check-config=1", NULL },
		{ "test", "--storage.pathx=/a", NULL },
		{ "test", "extra", NULL },
	};
	struct opts o;
	char *msg, want[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(parse(bad[i], &o, &msg), 2);
		snprintf(want, sizeof(want), "alertnoised test: error: unknown "
		    "flag %s, try --help\n", bad[i][1]);
		CHECK_STR(msg, want);
		free(msg);
	}
}

TEST(stop_flag_ends_the_parse_where_it_stands)
{
	char *help_first[] = { "test", "-h", "--bogus", NULL };
	char *help_last[] = { "test", "--bogus", "--help", NULL };
	char *value_then_help[] = { "test", "--config.file", "--help", NULL };
	struct opts o;
	char *msg;

	/* what follows --help is not read */
	CHECK_INT(parse(help_first, &o, &msg), 1);
	CHECK_INT(o.help, 1);
	CHECK_STR(msg, "");
	free(msg);
	/* what comes before it is */
	CHECK_INT(parse(help_last, &o, &msg), 2);
	CHECK_INT(o.help, 0);
	CHECK_CONTAINS(msg, "unknown flag --bogus");
	free(msg);
	/* a value that looks like a flag is a value */
	CHECK_INT(parse(value_then_help, &o, &msg), 0);
	CHECK_STR(o.config_file, "--help");
	CHECK_INT(o.help, 0);
	free(msg);
}

TEST(flag_value_alone)
{
	char *argv[] = { "test", "--url=x", "--url", "y", "--url", NULL };
	const char *v = NULL;
	int i = 1;

	CHECK_INT(flag_value(5, argv, &i, "--url", &v), 1);
	CHECK_STR(v, "x");
	i = 2;
	CHECK_INT(flag_value(5, argv, &i, "--url", &v), 1);
	CHECK_STR(v, "y");
	CHECK_INT(i, 3);
	i = 4;
	CHECK_INT(flag_value(5, argv, &i, "--url", &v), -1);
	CHECK_INT(flag_value(5, argv, &i, "--ur", &v), 0);
}

TEST(list_keeps_each_value_up_to_its_max)
{
	char *two[] = { "cmd", "--match={a=\"1\"}", "--match", "{b=\"2\"}",
	    NULL };
	char *three[] = { "cmd", "--match=x", "--match=y", "--match=z", NULL };
	struct opts o;
	char *msg;

	CHECK_INT(parse(two, &o, &msg), 0);
	CHECK_INT(o.nmatch, 2);
	CHECK_STR(o.match[0], "{a=\"1\"}");
	CHECK_STR(o.match[1], "{b=\"2\"}");
	free(msg);
	CHECK_INT(parse(three, &o, &msg), 2);
	CHECK_STR(msg, "alertnoised test: error: flag --match given more than "
	    "2 times\n");
	free(msg);
}

int
main(void)
{
	RUN(value_after_equals_and_as_next_arg);
	RUN(list_keeps_each_value_up_to_its_max);
	RUN(defaults_stay_and_last_value_wins);
	RUN(switch_sets_its_int);
	RUN(missing_value);
	RUN(unknown_flag);
	RUN(stop_flag_ends_the_parse_where_it_stands);
	RUN(flag_value_alone);
	return t_done();
}
