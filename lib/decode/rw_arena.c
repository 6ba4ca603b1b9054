/* rw_arena.c -- memory for the remote-write decoder (rw_decode_int.h): the
 * allocation hook every allocation goes through (rw__set_allocator), the
 * per-request arena the reference decoder (rw_reference.c) unpacks into and
 * the box at its start that holds the request (the streaming decoder,
 * rw_fast.c, lays out the same box in a single chunk); rw_request_free.
 *
 * The arena: chunks from one allocator, carved front to back and never freed
 * one by one (protobuf-c's free is a no-op); rw_request_free releases them
 * all. The request and the arena's own bookkeeping live at the start of the
 * first chunk. */
#include "rw_decode_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/*
 * Allocation hook (rw__set_allocator).
 */

void *(*rw__alloc_fn)(size_t) = malloc;
void (*rw__free_fn)(void *) = free;

void
rw__set_allocator(void *(*alloc_fn)(size_t), void (*free_fn)(void *))
{
	assert((alloc_fn == NULL) == (free_fn == NULL));
	rw__alloc_fn = alloc_fn != NULL ? alloc_fn : malloc;
	rw__free_fn = free_fn != NULL ? free_fn : free;
}

/*
 * The arena.
 */

void *
rw__arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c;
	size_t csize, align, pad;
	int dedicated;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN - CHUNK_HDR) {
		a->over_budget = 1;
		return NULL;
	}
	/* An object's size is a multiple of its alignment, so the lowest set
	 * bit of n (at most ARENA_ALIGN) is alignment enough: short strings
	 * pack tightly, structs stay aligned. */
	align = n & -n;
	if (align > ARENA_ALIGN)
		align = ARENA_ALIGN;
	c = a->head;
	pad = (align - (c->used & (align - 1))) & (align - 1);
	if (c->size - c->used >= n && c->size - c->used - n >= pad) {
		void *p = CHUNK_DATA(c) + c->used + pad;

		c->used += pad + n;
		return p;
	}
	/* big blocks get a chunk of their own, behind the current one, so
	 * that its free space stays in use */
	dedicated = n > a->next_size / 4;
	csize = dedicated ? n : a->next_size;
	if (a->total > a->budget || a->budget - a->total < CHUNK_HDR + csize) {
		a->over_budget = 1;
		return NULL;
	}
	if ((c = rw__alloc_fn(CHUNK_HDR + csize)) == NULL) {
		a->nomem = 1;
		return NULL;
	}
	a->total += CHUNK_HDR + csize;
	c->size = csize;
	c->used = n;
	if (dedicated) {
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	/* grow by half of what there is: at most a third is ever unused */
	a->next_size = a->total / 2;
	if (a->next_size < ARENA_CHUNK_MIN)
		a->next_size = ARENA_CHUNK_MIN;
	if (a->next_size > ARENA_CHUNK_MAX)
		a->next_size = ARENA_CHUNK_MAX;
	return CHUNK_DATA(c);
}

void *
rw__arena_array(struct arena *a, size_t n, size_t size)
{
	if (n == 0)
		return NULL;
	if (size > SIZE_MAX / n) {
		a->over_budget = 1;
		return NULL;
	}
	return rw__arena_alloc(a, n * size);
}

static void *
pb_alloc(void *data, size_t n)
{
	return rw__arena_alloc(data, n);
}

static void
pb_free(void *data, void *p)
{
	/* everything goes at once with the arena */
	(void)data;
	(void)p;
}

size_t
rw__arena_first(size_t dlen)
{
	size_t first;

	first = dlen <= ARENA_CHUNK_MAX / 4 ? dlen * 4 : ARENA_CHUNK_MAX;
	if (first < ARENA_CHUNK_MIN)
		first = ARENA_CHUNK_MIN;
	return first + BOX_SIZE;
}

size_t
rw__arena_budget(size_t dlen)
{
	size_t b;

	if (dlen > (SIZE_MAX - ARENA_BASE) / ARENA_FACTOR)
		return SIZE_MAX;
	b = ARENA_BASE + ARENA_FACTOR * dlen;
	if (b < CHUNK_HDR + rw__arena_first(dlen))
		b = CHUNK_HDR + rw__arena_first(dlen);
	return b;
}

struct rw_box *
rw__box_new(size_t dlen)
{
	struct rw_box *box;
	struct chunk *c;
	size_t first, boxsize;

	boxsize = BOX_SIZE;
	first = rw__arena_first(dlen);
	if ((c = rw__alloc_fn(CHUNK_HDR + first)) == NULL)
		return NULL;
	c->next = NULL;
	c->size = first;
	c->used = boxsize;
	box = (struct rw_box *)CHUNK_DATA(c);
	memset(box, 0, sizeof(*box));
	box->arena.head = c;
	box->arena.total = CHUNK_HDR + first;
	box->arena.budget = rw__arena_budget(dlen);
	box->arena.next_size = first / 2 < ARENA_CHUNK_MIN ? ARENA_CHUNK_MIN :
	    first / 2;
	box->arena.free_fn = rw__free_fn;
	box->arena.pa.alloc = pb_alloc;
	box->arena.pa.free = pb_free;
	box->arena.pa.allocator_data = &box->arena;
	return box;
}

enum rw_status
rw__arena_failed(const struct arena *a, char *err, size_t errlen)
{
	if (a->nomem) {
		rw__seterr(err, errlen, "out of memory decoding the request");
		return RW_ERR_NOMEM;
	}
	assert(a->over_budget);
	rw__seterr(err, errlen, "decoding the request needs more than %zu "
	    "bytes of memory (%d per decoded byte)", a->budget, ARENA_FACTOR);
	return RW_ERR_TOO_LARGE;
}

void
rw_request_free(struct rw_request *r)
{
	struct rw_box *box = (struct rw_box *)r;
	struct chunk *c, *next;
	void (*free_fn)(void *);

	if (r == NULL)
		return;
	/* the first chunk holds box itself: read what is needed first */
	c = box->arena.head;
	free_fn = box->arena.free_fn;
	for (; c != NULL; c = next) {
		next = c->next;
		free_fn(c);
	}
}
