/* test_intern.c -- lib/core/intern: byte strings to dense numbers. */
#include "intern.h"

#include "t.h"

/* Puts s[0..len) and returns its number (SIZE_MAX when the put failed). */
static size_t
put(struct intern *t, const char *s, size_t len)
{
	size_t id;

	return intern_put(t, s, len, &id) < 0 ? SIZE_MAX : id;
}

TEST(numbers_in_order_of_arrival)
{
	struct intern t = { 0 };
	char buf[8];
	size_t id = 99;

	CHECK_INT(intern_count(&t), 0);
	CHECK_INT(intern_find(&t, "a", 1, &id), 0);
	CHECK_INT(id, 99);
	CHECK_INT(put(&t, "alpha", 5), 0);
	CHECK_INT(put(&t, "beta", 4), 1);
	CHECK_INT(put(&t, "alpha", 5), 0);
	/* the caller's bytes are copied: changing them changes nothing */
	memcpy(buf, "gamma", 6);
	CHECK_INT(put(&t, buf, 5), 2);
	buf[0] = 'G';
	CHECK_STR(intern_str(&t, 2), "gamma");
	CHECK(intern_str(&t, 2) != buf);
	CHECK_INT(put(&t, "gamma", 5), 2);
	CHECK_INT(intern_count(&t), 3);
	CHECK_INT(intern_find(&t, "beta", 4, &id), 1);
	CHECK_INT(id, 1);
	CHECK_INT(intern_find(&t, "delta", 5, &id), 0);
	CHECK_INT(intern_count(&t), 3);		/* a find adds nothing */
	CHECK_STR(intern_str(&t, 0), "alpha");
	CHECK_INT(intern_len(&t, 1), 4);
	intern_free(&t);
	CHECK_INT(intern_count(&t), 0);
	/* free leaves an empty table, ready for use */
	CHECK_INT(put(&t, "beta", 4), 0);
	CHECK_STR(intern_str(&t, 0), "beta");
	intern_free(&t);
}

/* Keys that share a prefix, or differ only by an embedded or trailing NUL,
 * are different strings: the length is part of the key. */
TEST(length_is_part_of_the_key)
{
	struct intern t = { 0 };
	size_t e = put(&t, "", 0), ab = put(&t, "ab", 2);
	size_t abc = put(&t, "abc", 3), abz = put(&t, "ab\0", 3);
	size_t a0b = put(&t, "a\0b", 3), a0c = put(&t, "a\0c", 3);
	size_t a = put(&t, "a", 1), id;

	CHECK_INT(e, 0);
	CHECK_INT(ab, 1);
	CHECK_INT(abc, 2);
	CHECK_INT(abz, 3);
	CHECK_INT(a0b, 4);
	CHECK_INT(a0c, 5);
	CHECK_INT(a, 6);
	CHECK_INT(intern_count(&t), 7);
	CHECK_INT(put(&t, "a\0c", 3), 5);
	CHECK_INT(put(&t, "", 0), 0);
	CHECK_INT(intern_len(&t, 0), 0);
	CHECK_STR(intern_str(&t, 0), "");
	CHECK_INT(intern_len(&t, 3), 3);
	CHECK(memcmp(intern_str(&t, 3), "ab\0", 4) == 0);
	CHECK_INT(intern_len(&t, 4), 3);
	/* the stored copy keeps its NULs, and ends in one more */
	CHECK(memcmp(intern_str(&t, 4), "a\0b\0", 4) == 0);
	CHECK_INT(intern_find(&t, "a\0", 2, &id), 0);
	CHECK_INT(intern_find(&t, "a\0b", 3, &id), 1);
	CHECK_INT(id, 4);
	intern_free(&t);
}

/* Many strings: the table grows many times over, every number and copy
 * stays, and the copies do not move (model.c hands them out). */
TEST(growth_keeps_numbers_and_copies)
{
	struct intern t = { 0 };
	const char *first;
	size_t bytes0, n = 20000, bad = 0, moved = 0;
	char s[32];

	CHECK_INT(put(&t, "first", 5), 0);
	first = intern_str(&t, 0);
	bytes0 = intern_bytes(&t);
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(s, sizeof(s), "k%zu", i);

		bad += put(&t, s, (size_t)len) != i + 1;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(intern_count(&t), n + 1);
	CHECK(intern_bytes(&t) > bytes0);
	moved += intern_str(&t, 0) != first;
	CHECK_INT(moved, 0);
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(s, sizeof(s), "k%zu", i);
		size_t id = SIZE_MAX;

		bad += !intern_find(&t, s, (size_t)len, &id) || id != i + 1 ||
		    intern_len(&t, id) != (size_t)len ||
		    strcmp(intern_str(&t, id), s) != 0;
		bad += put(&t, s, (size_t)len) != i + 1;
	}
	CHECK_INT(bad, 0);
	CHECK_INT(intern_count(&t), n + 1);
	CHECK_STR(intern_str(&t, 0), "first");
	intern_free(&t);
}

/* The text use (lib/model): one copy per string, the same pointer for
 * every put of equal text, and it is intern_str's. */
TEST(one_copy_per_string)
{
	struct intern t = { 0 };
	char a[] = "receiver-a", b[] = "receiver-a";
	const char *pa = intern_put_str(&t, a, strlen(a));
	const char *pb = intern_put_str(&t, b, strlen(b));
	const char *pc = intern_put_str(&t, "receiver-b", 10);
	size_t id = SIZE_MAX;

	CHECK(pa != NULL && pa != a && pa != b);
	CHECK(pa == pb);
	CHECK(pc != NULL && pc != pa);
	CHECK_STR(pa, "receiver-a");
	CHECK_INT(intern_count(&t), 2);
	CHECK_INT(intern_find(&t, "receiver-b", 10, &id), 1);
	CHECK(intern_str(&t, id) == pc);
	CHECK_INT(put(&t, "receiver-a", 10), 0);
	CHECK(intern_str(&t, 0) == pa);
	intern_free(&t);
}

int
main(void)
{
	RUN(numbers_in_order_of_arrival);
	RUN(length_is_part_of_the_key);
	RUN(growth_keeps_numbers_and_copies);
	RUN(one_copy_per_string);
	return t_done();
}
