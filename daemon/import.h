/* import.h -- `alertnoised import`: backfilling alert episodes from the
 * ALERTS / ALERTS_FOR_STATE history of a Prometheus server (import.c). */
#ifndef AN_IMPORT_H
#define AN_IMPORT_H

/* Runs the import subcommand. argv[0] is "import", the flags follow;
 * default_config is the --config.file default. Returns the exit status: 0
 * done, 1 failed (the chunks applied before the failure stay stored; running
 * the import again is safe), 2 bad flags. */
int import_run(int argc, char **argv, const char *default_config);

/* main.c's dispatch. A macro so that AN_DEFAULT_CONFIG is the one main.c is
 * compiled with: the installed binary's main.o gets the /etc path, this file
 * is compiled once for both binaries. */
#define import_main(argc, argv) import_run((argc), (argv), AN_DEFAULT_CONFIG)

#endif
