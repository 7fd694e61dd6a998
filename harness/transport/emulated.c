/* emulated.c - the emulated transport: the aarch64 and armv7 agent builds
 * under qemu-user on this host, one device each (transport.h). They are
 * correctness devices (same bytes, same logits as the host), marked
 * emulated so that nobody times them as phones. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"
#include "util.h"

/* What an emulated device keeps in struct xf_device.priv. */
struct emulated_state {
	char runner[32];         /* the qemu-user program: qemu-aarch64, qemu-arm */
};
_Static_assert(sizeof(struct emulated_state) <= XF_DEVICE_PRIV, "emulated state too large");

static void emulated_list(const struct xf_list_opts *o, struct xf_device *out, size_t max,
			  size_t *n, char *notes, size_t notes_n)
{
	static const struct {
		const char *serial, *abi, *rel, *runner;
	} kinds[] = {
		{"qemu-aarch64", "arm64-v8a", "../aarch64/bin/xnn-agent", "qemu-aarch64"},
		{"qemu-arm", "armeabi-v7a", "../armv7/bin/xnn-agent", "qemu-arm"},
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && *n < max; i++) {
		struct xf_device *d = &out[*n];
		xf_device_init(d, &xf_transport_emulated, kinds[i].serial);
		snprintf(d->abi, sizeof(d->abi), "%s", kinds[i].abi);
		d->emulated = true;
		d->on_host = true;
		struct emulated_state s = {{0}};
		snprintf(s.runner, sizeof(s.runner), "%s", kinds[i].runner);
		memcpy(d->priv, &s, sizeof(s));
		if (!xf_agent_build_path(o->agent_dir, kinds[i].rel, d->agent, sizeof(d->agent)))
			continue;
		if (access(d->agent, X_OK) != 0) {
			char what[PATH_MAX + 16];
			snprintf(what, sizeof(what), "no agent at %s", d->agent);
			xf_note(notes, notes_n, d->serial, what, "make agents");
			continue;
		}
		if (!xf_in_path(s.runner)) {
			xf_note(notes, notes_n, d->serial, "qemu-user is not installed",
				"scripts/install-deps.sh");
			continue;
		}
		(*n)++;
	}
}

static enum xs_status emulated_run(const struct xf_device *d, const char *const *args,
				   xf_out_fn out, void *ctx, int *status, struct xs_error *err)
{
	struct emulated_state s;
	memcpy(&s, d->priv, sizeof(s));
	const char *argv[XF_MAX_ARGV];
	xf_agent_argv(argv, s.runner, d->agent, args);
	return xf_run_here(argv, d->hang_s, out, ctx, status, err);
}

const struct xf_transport xf_transport_emulated = {
	.name = "emulated",
	.copies = false,
	.list = emulated_list,
	.stage = xf_stage_here,
	.run = emulated_run,
	.pull = xf_pull_here,
	.describe = xf_describe_here,
};
