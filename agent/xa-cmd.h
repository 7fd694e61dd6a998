/* xa-cmd.h - the agent's commands (agent/cmd-*.c), dispatched by main.c. A
 * command returns the exit status: 0 ok, 1 failure, 2 usage. */
#ifndef XA_CMD_H
#define XA_CMD_H

#include "xa.h"

#define XA_VERSION "0.1"

int xa_cmd_bench(int argc, char **argv);

#endif /* XA_CMD_H */
