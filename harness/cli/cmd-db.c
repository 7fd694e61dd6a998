/* cmd-db.c - xnn-fleet db info|export|merge|simulate: what a device DB
 * holds, its sub-net results as CSV, merging another DB into it, and a
 * simulated fleet for scale tests (harness/simulate.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdb.h"
#include "cmd.h"
#include "data.h"
#include "simulate.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet db info [--db FILE]\n"
	"       xnn-fleet db export --csv [--db FILE] [--out FILE]\n"
	"       xnn-fleet db merge OTHER.db [--db FILE]\n"
	"       xnn-fleet db simulate [--db FILE] [--devices N] [--subnets M] [...]\n"
	"\n"
	"info   the DB's schema version and how many devices, supernets, sub-nets,\n"
	"       sweeps, runs, kernel and sub-net results and manifests it holds\n"
	"export every sub-net result with its device and arch as CSV (RFC 4180), to\n"
	"       FILE or stdout\n"
	"merge  adds what OTHER.db has and FILE lacks (devices by identity, results by\n"
	"       measurement key; a result FILE has is kept), in one transaction\n"
	"simulate  a simulated fleet (devices and results marked simulated, in their\n"
	"       own DB, default sim.db) for scale tests of select and report;\n"
	"       'xnn-fleet db simulate --help' tells more\n"
	"\n"
	"--db defaults to fleet.db. info and export open it for reading (a DB written\n"
	"by a newer xnn-fleet, or a read-only file or folder, can be read); merge\n"
	"writes into it.\n";

static const char simulate_usage_text[] =
	"usage: xnn-fleet db simulate [--db FILE] [--devices N] [--subnets M] [--seed S]\n"
	"                             [--supernet FILE]\n"
	"\n"
	"Adds a simulated fleet to FILE (default sim.db): N devices (default 1000)\n"
	"with kernel tables and M sub-nets each (default 200) of the supernet's space,\n"
	"all marked simulated (devices simulated = 1, supernet '<name>-simulated' with\n"
	"its own sha256). For testing that select and report scale; never mix it with\n"
	"a real fleet's DB.\n";

static int db_merge(const char *path, const char *other)
{
	if (other == NULL) {
		fprintf(stderr, "xnn-fleet db merge: give the DB to merge in: OTHER.db\n");
		return 2;
	}
	if (access(other, R_OK) != 0) {
		fprintf(stderr, "xnn-fleet: cannot open '%s': %s\n", other, strerror(errno));
		return 1;
	}
	struct fdb *w;
	char m[512];
	if (fdb_open(path, FDB_WRITE, &w, m, sizeof(m)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", m);
		return 1;
	}
	int rc = 0;
	int64_t added = 0;
	if (fdb_merge(w, other, &added) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s (nothing was changed)\n", fdb_errmsg(w));
		rc = 1;
	} else {
		printf("merged '%s' into '%s': %lld results added\n", other, path, (long long)added);
	}
	fdb_close(w);
	return rc;
}

static int db_export(struct fdb *db, const char *path, const char *out)
{
	FILE *f = out ? fopen(out, "w") : stdout;
	int64_t rows = 0;
	int rc = 0;
	if (f == NULL) {
		fprintf(stderr, "xnn-fleet: cannot write '%s': %s\n", out, strerror(errno));
		return 1;
	}
	if (fdb_export_csv(db, f, &rows) != XS_OK) {
		fprintf(stderr, "xnn-fleet: '%s': %s\n", path, fdb_errmsg(db));
		rc = 1;
	}
	if (f != stdout && fclose(f) != 0) {
		fprintf(stderr, "xnn-fleet: cannot write '%s': %s\n", out, strerror(errno));
		rc = 1;
	}
	if (rc == 0)
		fprintf(stderr, "exported %lld sub-net results\n", (long long)rows);
	return rc;
}

static int db_info(struct fdb *db, const char *path)
{
	struct fdb_counts c;
	if (fdb_counts(db, &c) != XS_OK) {
		fprintf(stderr, "xnn-fleet: '%s': %s\n", path, fdb_errmsg(db));
		return 1;
	}
	printf("file            %s\nschema version  %d (this program writes %d)\n", path,
	       fdb_schema_version(db), FDB_SCHEMA_VERSION);
	printf("devices         %lld\nsupernets       %lld\nsub-nets        %lld\n"
	       "sweeps          %lld\nruns            %lld\nkernel results  %lld\n"
	       "sub-net results %lld\nmanifests       %lld\n",
	       (long long)c.devices, (long long)c.supernets, (long long)c.subnets,
	       (long long)c.sweeps, (long long)c.runs, (long long)c.kernel_results,
	       (long long)c.subnet_results, (long long)c.manifests);
	return 0;
}

int cmd_db(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "simulate") == 0) {
		static char name[] = "xnn-fleet db simulate";  /* getopt's messages */
		argv[1] = name;
		return cmd_db_simulate(argc - 1, argv + 1);
	}
	const char *path = "fleet.db", *out = NULL, *other = NULL;
	bool csv = false;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else if (strcmp(argv[i], "--csv") == 0) {
			csv = true;
		} else if (strcmp(argv[1], "merge") == 0 && other == NULL && argv[i][0] != '-') {
			other = argv[i];
		} else {
			fprintf(stderr, "xnn-fleet db: unexpected '%s'; see 'xnn-fleet db --help'\n",
				argv[i]);
			return 2;
		}
	}
	if (strcmp(argv[1], "merge") == 0)
		return db_merge(path, other);
	const bool export = strcmp(argv[1], "export") == 0;
	if (strcmp(argv[1], "info") != 0 && !export) {
		fprintf(stderr, "xnn-fleet db: '%s' is not a subcommand (info, export, merge, simulate)\n",
			argv[1]);
		return 2;
	}
	if (export && !csv) {
		fprintf(stderr, "xnn-fleet db export: give --csv (the one format there is)\n");
		return 2;
	}
	struct fdb *db;
	char msg[512];
	if (fdb_open(path, FDB_READ, &db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", msg);
		return 1;
	}
	int rc = export ? db_export(db, path, out) : db_info(db, path);
	fdb_close(db);
	return rc;
}

int cmd_db_simulate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'D'},      {"devices", required_argument, NULL, 'd'},
		{"subnets", required_argument, NULL, 'm'}, {"seed", required_argument, NULL, 's'},
		{"supernet", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *db_path = "sim.db", *sn_path = XF_DEFAULT_SUPERNET;
	struct xf_simulate_opts o = {.devices = 1000, .subnets = 200, .seed = 1};
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': db_path = optarg; break;
		case 'd': o.devices = atol(optarg); break;
		case 'm': o.subnets = atol(optarg); break;
		case 's': o.seed = strtoull(optarg, NULL, 10); break;
		case 'f': sn_path = optarg; break;
		case 'h': fputs(simulate_usage_text, stdout); return 0;
		default: return xf_usage_error(simulate_usage_text);
		}
	}
	if (optind != argc || o.devices < 1 || o.devices > 100000 || o.subnets < 2 ||
	    o.subnets > 100000) {
		return xf_usage_error(simulate_usage_text);
	}
	struct xs_supernet *sn;
	struct xs_error err;
	if (xs_supernet_load(sn_path, &sn, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		return 1;
	}
	struct fdb *db;
	char msg[512];
	if (fdb_open(db_path, FDB_WRITE, &db, msg, sizeof(msg)) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", msg);
		xs_supernet_destroy(sn);
		return 1;
	}
	o.supernet = sn;
	struct xf_simulate_summary sum;
	double t0 = xf_now();
	int rc = 0;
	if (xf_simulate_fleet(db, &o, &sum, &err) != XS_OK) {
		fprintf(stderr, "xnn-fleet: %s\n", err.msg);
		rc = 1;
	} else {
		printf("%s: %ld simulated devices, %" PRId64 " sub-nets of '%s' (%zu kernel pieces "
		       "each), %.1f s\n", db_path, sum.devices, sum.subnets, sum.supernet, sum.pieces,
		       xf_now() - t0);
	}
	fdb_close(db);
	xs_supernet_destroy(sn);
	return rc;
}
