/* client.h -- the client commands of alertnoised (query, recommendations,
 * feedback, simulate): requests to a running daemon's HTTP API (client.c). */
#ifndef AN_CLIENT_H
#define AN_CLIENT_H

/* Whether name is a client command: "query", "recommendations", "feedback"
 * or "simulate". */
int client_is_command(const char *name);

/* Runs a client command. argv[0] is its name ("query" is followed by
 * episodes, alerts or groups), its arguments and flags follow. Prints the
 * answer on stdout and returns the exit status: 0 done; 1 the daemon
 * answered an error (its message on stderr); 2 bad arguments or flags; 3 the
 * daemon could not be reached or did not answer in time. */
int client_run(int argc, char **argv);

#endif
