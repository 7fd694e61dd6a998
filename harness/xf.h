/* xf.h - xnn-fleet, the host command: one function per subcommand (git's
 * habit: harness/main.c dispatches, harness/cmd-NAME.c holds cmd_NAME). */
#ifndef XF_H
#define XF_H

/* A subcommand: argv[0] is its name; returns the process exit status
 * (0 ok, 1 failure, 2 usage). Messages go to stderr, results to stdout. */
typedef int (*xf_cmd_fn)(int argc, char **argv);

int cmd_supernet(int argc, char **argv);

/* The supernet a command uses when --supernet is not given. */
#define XF_DEFAULT_SUPERNET "models/fmnist-ofa.xsn"

#endif /* XF_H */
