/* cmd.h - the xnn-fleet commands: one function per command (git's habit:
 * main.c holds the table and dispatches, cmd-NAME.c holds cmd_NAME).
 * A command parses its options, calls the harness library, prints. */
#ifndef XF_CMD_H
#define XF_CMD_H

/* argv[0] is the command's name; returns the process exit status (0 ok,
 * 1 failure, 2 usage). Messages go to stderr, results to stdout. */
typedef int (*xf_cmd_fn)(int argc, char **argv);

/* A usage error (an unknown option, a missing argument): text's usage
 * lines (up to its first blank line) on stderr and the command that shows
 * the whole of it, as git does; returns 2. */
int xf_usage_error(const char *text);

int cmd_supernet(int argc, char **argv);
int cmd_agent_check(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_select(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* xnn-fleet db simulate (cmd-db.c); argv[0] is "simulate". */
int cmd_db_simulate(int argc, char **argv);
/* xnn-fleet supernet extract|eval (cmd-supernet.c); argv[0] is "extract" or
 * "eval". */
int cmd_supernet_extract(int argc, char **argv);
int cmd_supernet_eval(int argc, char **argv);

#endif /* XF_CMD_H */
