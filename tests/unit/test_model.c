/* test_model.c -- lib/model/model.c against a brute-force reference: random
 * puts, changes and drops of episodes (ids reused, firing times moved),
 * then every scan compared with the rows a plain filter and sort give.
 * test_ingest.c checks the model against the SQLite store it mirrors. */
#include <stdlib.h>

#include "model.h"
#include "t.h"

#define NIDS 400

/* The reference: the live episodes by id (id 0 unused). */
static struct episode ref[NIDS];
static int live[NIDS], verdict[NIDS];

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct out {
	int64_t id[NIDS];
	size_t n;
};

static int
take(const struct episode *e, void *p)
{
	struct out *o = p;

	o->id[o->n++] = e->id;
	return 0;
}

static int
take_verdict(int64_t episode, const char *v, void *p)
{
	(void)v;
	return take(&(struct episode){ .id = episode }, p);
}

static int
by_firing(const void *x, const void *y)
{
	const struct episode *a = &ref[*(const int64_t *)x];
	const struct episode *b = &ref[*(const int64_t *)y];

	if (a->firing_at != b->firing_at)
		return a->firing_at < b->firing_at ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

static int
by_id(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

/* What store_scan_episodes returns of the reference. */
static void
expect_episodes(int64_t from, int64_t to, struct out *o)
{
	o->n = 0;
	for (int64_t id = 1; id < NIDS; id++) {
		const struct episode *e = &ref[id];

		if (!live[id] || e->firing_at == 0)
			continue;
		if (e->firing_at >= from ? e->firing_at < to :
		    e->resolved_at == 0 || e->resolved_at >= from)
			o->id[o->n++] = id;
	}
	qsort(o->id, o->n, sizeof(o->id[0]), by_firing);
}

/* What store_query_episodes lists of the reference: latest start
 * first, then the highest id. */
static int
by_start_desc(const void *x, const void *y)
{
	const struct episode *a = &ref[*(const int64_t *)x];
	const struct episode *b = &ref[*(const int64_t *)y];

	if (EPISODE_START(a) != EPISODE_START(b))
		return EPISODE_START(a) > EPISODE_START(b) ? -1 : 1;
	return (a->id < b->id) - (a->id > b->id);
}

/* The identities' alert names: a0, a1, a2 by identity % 3. */
static const char *const names[] = { "a0", "a1", "a2" };

static void
expect_list(const struct episode_filter *f, struct out *o)
{
	o->n = 0;
	for (int64_t id = 1; id < NIDS; id++) {
		const struct episode *e = &ref[id];

		if (!live[id] || (f->open_only && e->resolved_at != 0) ||
		    (f->since && e->resolved_at && e->resolved_at < f->since) ||
		    (f->until && EPISODE_START(e) > f->until) ||
		    (f->alertname && strcmp(f->alertname,
		    names[e->identity % 3]) != 0))
			continue;
		o->id[o->n++] = id;
	}
	qsort(o->id, o->n, sizeof(o->id[0]), by_start_desc);
}

static int
take_listed(const struct model_episode_row *r, void *p)
{
	struct out *o = p;

	if (strcmp(r->alertname, names[r->e.identity % 3]) != 0)
		return 1;		/* a wrong name ends the walk short */
	return take(&r->e, p), o->n >= NIDS;
}

static void
random_episode(int64_t id, struct episode *e)
{
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->identity = 1 + next() % 20;
	/* few distinct times: ties in firing_at, ordered by id */
	e->pending_at = 1000 + (int64_t)(next() % 50) * 10;
	if (next() % 5 != 0)
		e->firing_at = e->pending_at + (int64_t)(next() % 3) * 10;
	if (next() % 4 != 0)	/* after it fired, as in the store */
		e->resolved_at = (e->firing_at ? e->firing_at : e->pending_at) +
		    10 + (int64_t)(next() % 40) * 10;
	e->notifications = (int64_t)(next() % 3);
}

TEST(random_changes_scan_like_a_sort)
{
	struct model *m = model_new();
	struct model_data *d = model_data_new(0);
	struct out got, want;
	uint64_t gen = 1;

	for (uint64_t id = 1; id <= 20; id++)
		CHECK_INT(model_put_identity(d, id, names[id % 3], "{}"), 0);
	model_install(m, d, gen);
	for (int round = 0; round < 200; round++) {
		d = model_write_begin(m);
		for (int k = 0; k < 20; k++) {
			int64_t id = 1 + (int64_t)(next() % (NIDS - 1));

			if (live[id] && next() % 4 == 0) {
				model_drop_episode(d, id);
				live[id] = 0;
			} else {
				random_episode(id, &ref[id]);
				verdict[id] = (int)(next() % 3);
				CHECK_INT(model_put_episode(d, &ref[id],
				    verdict[id]), 0);
				live[id] = 1;
			}
		}
		model_write_end(m, ++gen, 1);
		for (int w = 0; w < 4; w++) {
			int64_t from = 1000 + (int64_t)(next() % 60) * 10;
			int64_t to = from + (int64_t)(next() % 30) * 10;

			got.n = 0;
			CHECK_INT(model_scan_episodes(m, gen, from, to, take,
			    &got), 0);
			expect_episodes(from, to, &want);
			CHECK_INT(got.n, want.n);
			if (got.n == want.n && memcmp(got.id, want.id,
			    got.n * sizeof(got.id[0])) != 0)
				T_FAIL("round %d [%lld, %lld): other order",
				    round, (long long)from, (long long)to);

			/* the episode list of a random filter */
			{
				struct episode_filter f = { 0 };
				struct out lgot, lwant;
				int64_t rest = -1;

				if (next() % 2)
					f.since = from;
				if (next() % 2)
					f.until = to;
				if (next() % 3 == 0)
					f.alertname = names[next() % 3];
				f.open_only = next() % 4 == 0;
				lgot.n = 0;
				CHECK_INT(model_query_episodes(m, gen, &f, &rest,
				    take_listed, &lgot), 0);
				CHECK_INT(rest, 0);
				expect_list(&f, &lwant);
				CHECK_INT(lgot.n, lwant.n);
				if (lgot.n == lwant.n && memcmp(lgot.id, lwant.id,
				    lgot.n * sizeof(lgot.id[0])) != 0)
					T_FAIL("round %d: another list", round);
			}

			/* verdicts: the scanned episodes with one, any order */
			got.n = 0;
			model_scan_feedback(m, gen, from, to, take_verdict,
			    &got);
			{
				size_t k = 0;

				for (size_t i = 0; i < want.n; i++)
					if (verdict[want.id[i]] != MODEL_NO_VERDICT)
						want.id[k++] = want.id[i];
				want.n = k;
			}
			qsort(got.id, got.n, sizeof(got.id[0]), by_id);
			qsort(want.id, want.n, sizeof(want.id[0]), by_id);
			CHECK_INT(got.n, want.n);
			if (got.n == want.n && memcmp(got.id, want.id,
			    got.n * sizeof(got.id[0])) != 0)
				T_FAIL("round %d: other verdicts", round);
		}
	}
	/* a generation the model is not as of, or history before it: ask
	 * the store */
	CHECK_INT(model_scan_episodes(m, gen + 1, 1000, 2000, take, &got),
	    MODEL_NOT_CURRENT);
	model_invalidate(m);
	CHECK_INT(model_scan_episodes(m, gen, 1000, 2000, take, &got),
	    MODEL_NOT_CURRENT);
	model_free(m);
}

TEST(history_before_from_is_not_held)
{
	struct model *m = model_new();
	struct model_data *d = model_data_new(5000);
	struct episode old = { .id = 1, .identity = 1, .firing_at = 1000,
	    .resolved_at = 2000 };
	struct episode open = { .id = 2, .identity = 1, .firing_at = 1000 };
	struct out got = { .n = 0 };

	CHECK_INT(model_put_episode(d, &old, 0), 0);
	CHECK_INT(model_put_episode(d, &open, 0), 0);
	model_install(m, d, 7);
	CHECK_INT(model_scan_episodes(m, 7, 4000, 9000, take, &got),
	    MODEL_NOT_CURRENT);
	CHECK_INT(model_scan_episodes(m, 7, 5000, 9000, take, &got), 0);
	/* the resolved one was dropped, the open one is held */
	CHECK_INT(got.n, 1);
	CHECK_INT(got.id[0], 2);
	model_free(m);
}

int
main(void)
{
	RUN(random_changes_scan_like_a_sort);
	RUN(history_before_from_is_not_held);
	return t_done();
}
