/* cmd-db.c - xnn-fleet db info: what a device DB holds. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fdb.h"
#include "cmd.h"
#include "data.h"
#include "util.h"

static const char usage_text[] =
	"usage: xnn-fleet db info [--db FILE]\n"
	"       xnn-fleet db export --csv [--db FILE] [--out FILE]\n"
	"       xnn-fleet db merge OTHER.db [--db FILE]\n"
	"       xnn-fleet db simulate [--db FILE] [--devices N] [--subnets M] (see --help)\n"
	"\n"
	"info   the DB's schema version and how many devices, supernets, sub-nets,\n"
	"       sweeps, runs, kernel and sub-net results and manifests it holds\n"
	"export every sub-net result with its device and arch as CSV (RFC 4180), to\n"
	"       FILE or stdout\n"
	"merge  adds what OTHER.db has and FILE lacks (devices by identity, results by\n"
	"       measurement key; a result FILE has is kept), in one transaction\n"
	"\n"
	"--db defaults to fleet.db. The DB is opened for reading: a DB written by a\n"
	"newer xnn-fleet can be read.\n";

int cmd_db(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "simulate") == 0)
		return cmd_db_simulate(argc - 1, argv + 1);
	const char *path = "fleet.db", *out = NULL, *other = NULL;
	bool csv = false;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
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
	const bool export = strcmp(argv[1], "export") == 0;
	if (strcmp(argv[1], "merge") == 0) {
		if (other == NULL) {
			fprintf(stderr, "xnn-fleet db merge: give the DB to merge in: OTHER.db\n");
			return 2;
		}
		struct fdb *w;
		char m[512];
		int64_t added = 0;
		if (access(other, R_OK) != 0) {
			fprintf(stderr, "xnn-fleet: cannot open '%s': %s\n", other, strerror(errno));
			return 1;
		}
		if (fdb_open(path, FDB_WRITE, &w, m, sizeof(m)) != XS_OK) {
			fprintf(stderr, "xnn-fleet: %s\n", m);
			return 1;
		}
		int mrc = 0;
		if (fdb_merge(w, other, &added) != XS_OK) {
			fprintf(stderr, "xnn-fleet: %s (nothing was changed)\n", fdb_errmsg(w));
			mrc = 1;
		} else {
			printf("merged '%s' into '%s': %lld results added\n", other, path,
			       (long long)added);
		}
		fdb_close(w);
		return mrc;
	}
	if (strcmp(argv[1], "info") != 0 && !export) {
		fprintf(stderr, "xnn-fleet db: '%s' is not a subcommand (info, export, merge)\n",
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
	struct fdb_counts c;
	int rc = 0;
	if (export) {
		FILE *f = out ? fopen(out, "w") : stdout;
		int64_t rows = 0;
		if (f == NULL) {
			fprintf(stderr, "xnn-fleet: cannot write '%s': %s\n", out, strerror(errno));
			rc = 1;
		} else if (fdb_export_csv(db, f, &rows) != XS_OK) {
			fprintf(stderr, "xnn-fleet: '%s': %s\n", path, fdb_errmsg(db));
			rc = 1;
		}
		if (f && f != stdout && fclose(f) != 0) {
			fprintf(stderr, "xnn-fleet: cannot write '%s': %s\n", out, strerror(errno));
			rc = 1;
		}
		if (rc == 0)
			fprintf(stderr, "exported %lld sub-net results\n", (long long)rows);
	} else if (fdb_counts(db, &c) != XS_OK) {
		fprintf(stderr, "xnn-fleet: '%s': %s\n", path, fdb_errmsg(db));
		rc = 1;
	} else {
		printf("file            %s\nschema version  %d (this program writes %d)\n", path,
		       fdb_schema_version(db), FDB_SCHEMA_VERSION);
		printf("devices         %lld\nsupernets       %lld\nsub-nets        %lld\n"
		       "sweeps          %lld\nruns            %lld\nkernel results  %lld\n"
		       "sub-net results %lld\nmanifests       %lld\n",
		       (long long)c.devices, (long long)c.supernets, (long long)c.subnets,
		       (long long)c.sweeps, (long long)c.runs, (long long)c.kernel_results,
		       (long long)c.subnet_results, (long long)c.manifests);
	}
	fdb_close(db);
	return rc;
}
