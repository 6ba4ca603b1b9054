/* report_cli.h -- `alertnoised report`: the weekly review report from the
 * store, without the daemon (report_cli.c). */
#ifndef AN_REPORT_CLI_H
#define AN_REPORT_CLI_H

/* Runs the report subcommand. argv[0] is "report", the flags follow;
 * default_config is the --config.file default. Returns the exit status: 0
 * written, 1 failed (message on stderr), 2 bad flags. */
int report_run(int argc, char **argv, const char *default_config);

/* main.c's dispatch; a macro for AN_DEFAULT_CONFIG, as import_main. */
#define report_main(argc, argv) report_run((argc), (argv), AN_DEFAULT_CONFIG)

#endif
