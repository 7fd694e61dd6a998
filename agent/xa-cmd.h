/* xa-cmd.h - the agent's commands (agent/cmd-*.c), dispatched by main.c. A
 * command returns the exit status: 0 ok, 1 failure, 2 usage. */
#ifndef XA_CMD_H
#define XA_CMD_H

#include "xa.h"
#include "xs.h"

#define XA_VERSION "0.1"

/* What the measuring commands time: one image through an executor. */
struct xa_run_exec {
	struct xs_exec *e;
	struct xk_threadpool *tp;
};
void xa_run_exec_once(void *ctx);  /* ctx: struct xa_run_exec */

int xa_cmd_bench(int argc, char **argv);
int xa_cmd_kernels(int argc, char **argv);

#endif /* XA_CMD_H */
