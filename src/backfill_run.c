/*
 * backfill_run.c: a backfill set up as a whole job (see backfill_run.h):
 * the `reckon backfill` command, and the daemon's bootstrap of a slot.
 *
 * Pipeline: beside sched -> recompute; backfill.c runs the batches. It
 * must never start the stream: the bootstrap ends where the stream
 * begins, at the slot's consistent point.
 */
#include "backfill_run.h"

#include <stdlib.h>
#include <string.h>

#include "backfill.h"
#include "catalog.h"
#include "slot.h"

#define LOG_MODULE "daemon"
#include "log.h"

int
backfill_run_bootstrap(const Config *config, Recompute *rc, Pipeline *pipe,
                       Stream *stream, Lsn *consistent,
                       volatile sig_atomic_t *stop)
{
	bool is_backfill = !config->backfill_none;
	char snapshot[64] = "";
	Backfill bf;
	PgconnStatus status;

	backfill_init(&bf, rc, config->slot, BACKFILL_BOOTSTRAP, NULL, stop);
	if (is_backfill)
	{
		status = backfill_check(&bf, true);
		if (status == PGCONN_OK)
		{
			status = backfill_plan(&bf, pipe->groups, pipe->ngroups);
		}
		if (status != PGCONN_OK)
		{
			return status == PGCONN_FAIL ? EXIT_CODE_USAGE : EXIT_CODE_RUNTIME;
		}
	}
	if (stream_create_slot(stream, is_backfill, snapshot, sizeof(snapshot),
	                       consistent) != PGCONN_OK)
	{
		return EXIT_CODE_RUNTIME;
	}
	if (!is_backfill)
	{
		log_info("backfill none: the slot starts from now; changes committed "
		         "before %X/%X are not recomputed (reckon backfill does it "
		         "later)",
		         LSN_FORMAT_ARGS(*consistent));
		return EXIT_CODE_OK;
	}
	status = backfill_execute(&bf, snapshot);
	return status == PGCONN_OK || *stop ? EXIT_CODE_OK : EXIT_CODE_RUNTIME;
}

/*
 * Without the state tables there is nothing to resume. See backfill.c for
 * why a fresh snapshot per batch is safe.
 */
int
backfill_run_resume(const Config *config, Recompute *rc, Pipeline *pipe,
                    volatile sig_atomic_t *stop)
{
	Backfill bf;
	PgconnStatus status;

	backfill_init(&bf, rc, config->slot, BACKFILL_BOOTSTRAP, NULL, stop);
	if (backfill_check(&bf, false) != PGCONN_OK)
	{
		return EXIT_CODE_OK;
	}
	status = backfill_load(&bf, pipe->groups, pipe->ngroups);
	if (status == PGCONN_OK && bf.nruns > 0)
	{
		status = backfill_execute(&bf, NULL);
	}
	return status == PGCONN_OK || *stop ? EXIT_CODE_OK : EXIT_CODE_RUNTIME;
}

/* Whether processor (NULL: none asked for) is in the configuration. */
static bool
backfill_run_has_processor(const Config *config, const char *processor)
{
	for (int i = 0; processor != NULL && i < config->nprocessors; i++)
	{
		if (strcmp(config->processors[i].id, processor) == 0)
		{
			return true;
		}
	}
	return processor == NULL;
}

/* The slot must exist: a new one is backfilled by --create-slot. */
static PgconnStatus
backfill_run_check(const Config *config, Recompute *rc, bool *is_setup_error)
{
	Pgconn *conn = session_conn(recompute_session(rc));
	PgconnStatus status = catalog_check(conn, config);
	SlotInfo slot;

	if (status == PGCONN_OK)
	{
		status = slot_inspect(conn, config->slot, &slot);
	}
	if (status == PGCONN_OK && !slot.exists)
	{
		log_error("replication slot \"%s\" does not exist: reckon backfill "
		          "runs beside an existing slot's stream; a new slot is "
		          "backfilled by reckon --create-slot",
		          config->slot);
		status = PGCONN_FAIL;
		*is_setup_error = true;
	}
	return status;
}

/* Check, load or plan, and execute the runs of a manual backfill. */
static PgconnStatus
backfill_run_manual(const Config *config, Recompute *rc, Pipeline *pipe,
                    const char *processor, volatile sig_atomic_t *stop,
                    bool *is_setup_error)
{
	PgconnStatus status = backfill_run_check(config, rc, is_setup_error);
	Backfill bf;

	backfill_init(&bf, rc, config->slot, BACKFILL_MANUAL, processor, stop);
	if (status == PGCONN_OK)
	{
		status = backfill_check(&bf, true);
		*is_setup_error = status == PGCONN_FAIL;
	}
	if (status == PGCONN_OK)
	{
		status = backfill_load(&bf, pipe->groups, pipe->ngroups);
	}
	if (status == PGCONN_OK && bf.nruns == 0)
	{
		status = backfill_plan(&bf, pipe->groups, pipe->ngroups);
	}
	if (status == PGCONN_OK)
	{
		status = backfill_execute(&bf, NULL);
	}
	return status;
}

int
backfill_run_command(const Config *config, const char *processor,
                     volatile sig_atomic_t *stop)
{
	Pipeline *pipe = calloc(1, sizeof(Pipeline));
	Recompute *rc = calloc(1, sizeof(Recompute));
	int code = EXIT_CODE_RUNTIME;
	bool is_setup_error = false;
	PgconnStatus status;

	if (pipe == NULL || rc == NULL)
	{
		common_out_of_memory("the backfill");
	}
	sched_pipeline_init(pipe, config);
	/* no stream to serve: a query waits with a plain poll */
	recompute_init(rc, config, NULL, NULL);
	if (!backfill_run_has_processor(config, processor))
	{
		log_error("--processor: no processor \"%s\" in the configuration",
		          processor);
		code = EXIT_CODE_USAGE;
	}
	else if (recompute_connect(rc, pipe->procs, pipe->nprocs) == PGCONN_OK)
	{
		status = backfill_run_manual(config, rc, pipe, processor, stop,
		                             &is_setup_error);
		code = status == PGCONN_OK || *stop ? EXIT_CODE_OK
		       : is_setup_error             ? EXIT_CODE_USAGE
		                                    : EXIT_CODE_RUNTIME;
	}
	recompute_free(rc);
	sched_pipeline_free(pipe);
	free(rc);
	free(pipe);
	return code;
}
