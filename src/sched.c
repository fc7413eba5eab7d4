/*
 * sched.c: group state and batch selection (see sched.h). The only
 * place batches are formed and retried, so "keys stay dirty until their
 * batch commits" is enforced here and nowhere else.
 */
#include "sched.h"

#include <stdlib.h>

void
sched_group_init(Group *g, const ConfigGroup *config)
{
	*g = (Group){.config = config};
	dirty_set_init(&g->dirty);
	lookup_init(&g->saturated);
}

const char *
sched_group_name(const Group *g)
{
	return g->config->name;
}

int
sched_group_failures(const Group *g)
{
	return g->failures;
}

int64_t
sched_rescan_keys_done(const Group *g)
{
	return g->rescan_keys_done;
}

void
sched_pipeline_init(Pipeline *pipe, const Config *config)
{
	pipe->nprocs = config->nprocessors;
	for (int i = 0; i < pipe->nprocs; i++)
	{
		pipe->procs[i] = (Processor){.config = &config->processors[i]};
	}
	pipe->ngroups = config->ngroups;
	for (int i = 0; i < pipe->ngroups; i++)
	{
		Group *g = &pipe->groups[i];

		sched_group_init(g, &config->groups[i]);
		for (int m = 0; m < g->config->nmembers; m++)
		{
			g->members[g->nmembers++] = &pipe->procs[g->config->members[m]];
		}
	}
}

void
sched_pipeline_free(Pipeline *pipe)
{
	for (int i = 0; i < pipe->ngroups; i++)
	{
		sched_group_free(&pipe->groups[i]);
	}
}

void
sched_group_free(Group *g)
{
	dirty_set_clear(&g->dirty);
	batch_free(&g->inflight);
	lookup_clear(&g->saturated);
}

bool
sched_hold(const Group *groups, int n, Lsn *hold)
{
	bool found = false;

	for (int i = 0; i < n; i++)
	{
		Lsn lsn;
		int64_t dirty_us;

		if (groups[i].has_inflight &&
		    (!found || groups[i].inflight.safe_lsn < *hold))
		{
			*hold = groups[i].inflight.safe_lsn;
			found = true;
		}
		if (dirty_set_head(&groups[i].dirty, &lsn, &dirty_us) &&
		    (!found || lsn < *hold))
		{
			*hold = lsn;
			found = true;
		}
		if (groups[i].rescan && (!found || groups[i].rescan_safe_lsn < *hold))
		{
			*hold = groups[i].rescan_safe_lsn;
			found = true;
		}
	}
	return found;
}

size_t
sched_dirty_total(const Group *groups, int n)
{
	size_t total = 0;

	for (int i = 0; i < n; i++)
	{
		total += groups[i].dirty.count;
	}
	return total;
}

bool
sched_is_full(const Group *groups, int n, int64_t dirty_keys_max)
{
	for (int i = 0; i < n; i++)
	{
		if ((int64_t)groups[i].dirty.count >= dirty_keys_max)
		{
			return true;
		}
	}
	return false;
}

/* When group p can run next, and how old its work is; false if idle. */
static bool
sched_ready_at(const Group *p, int64_t *ready_us, int64_t *since_us)
{
	Lsn lsn;
	int64_t dirty_us;

	if (p->has_inflight)
	{
		*ready_us = p->retry_at_us;
		*since_us = p->inflight.first_dirty_us;
		return true;
	}
	if (p->rescan)
	{
		/* no window: nothing to coalesce, the keys come from the table */
		*ready_us = p->rescan_since_us;
		*since_us = p->rescan_since_us;
		return true;
	}
	if (!dirty_set_head(&p->dirty, &lsn, &dirty_us))
	{
		return false;
	}
	*ready_us = dirty_us + p->config->window_ms * 1000;
	*since_us = dirty_us;
	return true;
}

int
sched_next(const Group *groups, int n, int64_t now_us, int64_t *wait_us)
{
	int best = -1;
	int64_t best_since = 0;
	int64_t soonest = INT64_MAX;

	for (int i = 0; i < n; i++)
	{
		int64_t ready_us;
		int64_t since_us;

		if (!sched_ready_at(&groups[i], &ready_us, &since_us))
		{
			continue;
		}
		if (ready_us <= now_us)
		{
			if (best < 0 || since_us < best_since)
			{
				best = i;
				best_since = since_us;
			}
		}
		else if (ready_us - now_us < soonest)
		{
			soonest = ready_us - now_us;
		}
	}
	if (best < 0 && soonest != INT64_MAX)
	{
		*wait_us = soonest;
	}
	return best;
}

Batch *
sched_take(Group *p, Lsn received)
{
	/*
	 * Rescan pages and dirty batches alternate, so a rescan of every key
	 * does not hold back the completions of the changes streamed meanwhile.
	 */
	if (!p->has_inflight && p->rescan &&
	    (p->dirty.count == 0 || !p->rescan_went_last))
	{
		p->inflight.nkeys = 0;
		p->inflight.safe_lsn = p->rescan_safe_lsn;
		p->inflight.first_dirty_us = p->rescan_since_us;
		p->inflight.upto_lsn = received;
		p->inflight.commit_lsn = LSN_INVALID;
		p->inflight_is_rescan = true;
		p->rescan_restarted = false;
		p->has_inflight = true;
		p->failures = 0;
	}
	else if (!p->has_inflight)
	{
		int taken =
		    dirty_set_take(&p->dirty, &p->inflight, p->config->batch_size);

		ASSERT(taken > 0);
		/* in flight, a key is never skipped: its batch decides anew */
		for (int i = 0; i < taken; i++)
		{
			lookup_delete(&p->saturated, p->inflight.keys[i]);
		}
		p->inflight.upto_lsn = received;
		p->has_inflight = true;
		p->failures = 0;
	}
	p->rescan_went_last = p->inflight_is_rescan;
	return &p->inflight;
}

bool
sched_done(Group *p)
{
	bool rescan_done = false;

	ASSERT(p->has_inflight);
	if (p->inflight_is_rescan && !p->rescan_restarted)
	{
		p->rescan_keys_done += p->inflight.nkeys;
		/* a short page is the last: the statement had no more keys */
		if (p->inflight.nkeys < p->config->batch_size)
		{
			p->rescan = false;
			rescan_done = true;
		}
		for (int i = 0; i < p->inflight.nkeys; i++)
		{
			if (p->inflight.keys[i] > p->rescan_after)
			{
				p->rescan_after = p->inflight.keys[i];
			}
		}
	}
	p->inflight_is_rescan = false;
	p->rescan_restarted = false;
	p->has_inflight = false;
	p->failures = 0;
	p->inflight.nkeys = 0;
	return rescan_done;
}

void
sched_rescan(Group *g, Lsn safe_lsn, int64_t now_us, int64_t commit_us)
{
	if (!g->rescan || safe_lsn < g->rescan_safe_lsn)
	{
		/* a restarted rescan still holds the first TRUNCATE's position */
		g->rescan_safe_lsn = safe_lsn;
	}
	if (!g->rescan)
	{
		g->rescan_since_us = now_us;
		g->rescan_keys_done = 0;
	}
	g->rescan = true;
	g->rescan_after = INT64_MIN;
	g->rescan_commit_us = commit_us;
	/* a page in flight may have read before this TRUNCATE */
	g->rescan_restarted = g->has_inflight && g->inflight_is_rescan;
	lookup_clear(&g->saturated);
}

bool
sched_is_saturated(const Group *g, int64_t key)
{
	int64_t unused;

	return lookup_get(&g->saturated, key, &unused) &&
	       !dirty_set_contains(&g->dirty, key);
}

void
sched_saturate(Group *g, const int64_t *keys, int n)
{
	for (int i = 0; i < n; i++)
	{
		lookup_set(&g->saturated, keys[i], 0);
	}
}

/* xorshift64: jitter needs spread, not quality; seeded from the clock */
static uint64_t
sched_random(void)
{
	static uint64_t state = 0;

	if (state == 0)
	{
		state = (uint64_t)common_monotonic_us() | 1;
	}
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

int64_t
sched_backoff_ms(int attempt, int64_t min_ms, int64_t max_ms)
{
	int64_t delay = min_ms;

	for (int i = 1; i < attempt && delay < max_ms; i++)
	{
		delay *= 2;
	}
	if (delay > max_ms)
	{
		delay = max_ms;
	}
	/* full jitter over the upper half, so retries of many do not align */
	return delay / 2 + (int64_t)(sched_random() % (uint64_t)(delay / 2 + 1));
}

int64_t
sched_failed(Group *p, int64_t now_us, int64_t min_ms, int64_t max_ms)
{
	int64_t delay_ms;

	ASSERT(p->has_inflight);
	p->failures++;
	delay_ms = sched_backoff_ms(p->failures, min_ms, max_ms);
	p->retry_at_us = now_us + delay_ms * 1000;
	return delay_ms;
}
