/*
 * Core sets: parsing hex masks and bracket lists (and refusing bad ones
 * without touching the target), formatting, iteration and set algebra.
 */
#include "ut_main.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reef/cpuset.h"
#include "reef/util.h"

/* A set holding exactly the cores listed (terminated by UINT32_MAX). */
static void
set_of(struct reef_cpuset *set, const uint32_t *cores)
{
	reef_cpuset_zero(set);
	for (; *cores != UINT32_MAX; cores++) {
		reef_cpuset_set_cpu(set, *cores, true);
	}
}

/* Whether set holds exactly the cores listed (terminated by UINT32_MAX). */
static bool
set_is(const struct reef_cpuset *set, const uint32_t *cores)
{
	struct reef_cpuset expect;

	set_of(&expect, cores);
	return reef_cpuset_equal(set, &expect);
}

#define CORES(...) ((const uint32_t[]){__VA_ARGS__, UINT32_MAX})

static void
cpuset_parse_hex_with_and_without_prefix(void)
{
	struct reef_cpuset set;

	CU_ASSERT(reef_cpuset_parse(&set, "0x3") == 0);
	CU_ASSERT(set_is(&set, CORES(0, 1)));
	CU_ASSERT(reef_cpuset_parse(&set, "f") == 0);
	CU_ASSERT(set_is(&set, CORES(0, 1, 2, 3)));
	CU_ASSERT(reef_cpuset_parse(&set, "0X10") == 0);
	CU_ASSERT(set_is(&set, CORES(4)));
	CU_ASSERT(reef_cpuset_parse(&set, "A") == 0);
	CU_ASSERT(set_is(&set, CORES(1, 3)));
	CU_ASSERT(reef_cpuset_parse(&set, "0xaB") == 0);
	CU_ASSERT(set_is(&set, CORES(0, 1, 3, 5, 7)));
	/* A mask naming no core parses to the empty set. */
	CU_ASSERT(reef_cpuset_parse(&set, "0x0") == 0);
	CU_ASSERT(reef_cpuset_count(&set) == 0);
}

static void
cpuset_parse_hex_reaches_the_top_core(void)
{
	struct reef_cpuset set;
	char mask[64];

	/* 32 hex digits are 128 cores: the leading 8 is core 127. */
	snprintf(mask, sizeof(mask), "0x8%031d", 0);
	CU_ASSERT(reef_cpuset_parse(&set, mask) == 0);
	CU_ASSERT(set_is(&set, CORES(127)));
	/* Leading zero digits beyond the top core name no core and are fine. */
	snprintf(mask, sizeof(mask), "%040d1", 0);
	CU_ASSERT(reef_cpuset_parse(&set, mask) == 0);
	CU_ASSERT(set_is(&set, CORES(0)));
	/* Word boundaries: cores 63 and 64. */
	CU_ASSERT(reef_cpuset_parse(&set, "0x18000000000000000") == 0);
	CU_ASSERT(set_is(&set, CORES(63, 64)));
}

static void
cpuset_parse_bracket_list(void)
{
	struct reef_cpuset set;

	CU_ASSERT(reef_cpuset_parse(&set, "[0-2,5]") == 0);
	CU_ASSERT(set_is(&set, CORES(0, 1, 2, 5)));
	CU_ASSERT(reef_cpuset_parse(&set, "[7]") == 0);
	CU_ASSERT(set_is(&set, CORES(7)));
	CU_ASSERT(reef_cpuset_parse(&set, "[3-3]") == 0);
	CU_ASSERT(set_is(&set, CORES(3)));
	CU_ASSERT(reef_cpuset_parse(&set, "[1,1,2]") == 0);
	CU_ASSERT(set_is(&set, CORES(1, 2)));
	CU_ASSERT(reef_cpuset_parse(&set, "[62-65,127]") == 0);
	CU_ASSERT(set_is(&set, CORES(62, 63, 64, 65, 127)));
	CU_ASSERT(reef_cpuset_parse(&set, "[0-127]") == 0);
	CU_ASSERT(reef_cpuset_count(&set) == REEF_MAX_LCORE);
	CU_ASSERT(reef_cpuset_parse(&set, "[]") == 0);
	CU_ASSERT(reef_cpuset_count(&set) == 0);
}

static void
cpuset_parse_malformed_is_einval_and_keeps_target(void)
{
	static const char *const bad[] = {
		"",     "0x",      "0xg",  "x1",     "1 ",     " 1",    "0x-1", "[",    "[1",
		"[1-",  "[1-]",    "[-1]", "[a]",    "[1,,2]", "[2-1]", "[1]x", "[1]]", "[1 ,2]",
		"[ 1]", "[1-2-3]", "[+1]", "[1-+2]", "[1;2]",  "1]",    "[1,]", "[,1]",
	};
	struct reef_cpuset set, before;
	size_t i;

	reef_cpuset_zero(&before);
	reef_cpuset_set_cpu(&before, 9, true);
	reef_cpuset_set_cpu(&before, 100, true);
	for (i = 0; i < REEF_COUNTOF(bad); i++) {
		set = before;
		if (reef_cpuset_parse(&set, bad[i]) != -EINVAL) {
			CU_FAIL("a malformed mask parsed");
			fprintf(stderr, "  accepted: '%s'\n", bad[i]);
		}
		CU_ASSERT(reef_cpuset_equal(&set, &before));
	}
	set = before;
	CU_ASSERT(reef_cpuset_parse(&set, NULL) == -EINVAL);
	CU_ASSERT(reef_cpuset_equal(&set, &before));
}

static void
cpuset_parse_core_beyond_max_is_einval(void)
{
	struct reef_cpuset set, before;
	char mask[64];

	reef_cpuset_zero(&before);
	reef_cpuset_set_cpu(&before, 1, true);

	set = before;
	CU_ASSERT(reef_cpuset_parse(&set, "[128]") == -EINVAL);
	CU_ASSERT(reef_cpuset_equal(&set, &before));
	CU_ASSERT(reef_cpuset_parse(&set, "[0-128]") == -EINVAL);
	CU_ASSERT(reef_cpuset_parse(&set, "[0,99999999999999999999999]") == -EINVAL);
	CU_ASSERT(reef_cpuset_equal(&set, &before));
	/* 33 hex digits: the leading 1 is core 128. */
	snprintf(mask, sizeof(mask), "0x1%032d", 0);
	CU_ASSERT(reef_cpuset_parse(&set, mask) == -EINVAL);
	CU_ASSERT(reef_cpuset_equal(&set, &before));
}

static void
cpuset_fmt_round_trips_through_parse(void)
{
	const char *const masks[] = {"[0]", "[127]",        "[0-127]", "[1,3,63,64,65,100]",
				     "[]",  "[4-7,120-123]"};
	struct reef_cpuset set, back;
	char buf[REEF_CPUSET_STR_MAX];
	size_t i;

	for (i = 0; i < REEF_COUNTOF(masks); i++) {
		CU_ASSERT_FATAL(reef_cpuset_parse(&set, masks[i]) == 0);
		CU_ASSERT(reef_cpuset_fmt(&set, buf, sizeof(buf)) == buf);
		CU_ASSERT(strncmp(buf, "0x", 2) == 0);
		CU_ASSERT(strlen(buf) < sizeof(buf));
		CU_ASSERT(reef_cpuset_parse(&back, buf) == 0);
		CU_ASSERT(reef_cpuset_equal(&set, &back));
	}
}

static void
cpuset_fmt_exact_strings(void)
{
	struct reef_cpuset set;
	char buf[REEF_CPUSET_STR_MAX], expect[REEF_CPUSET_STR_MAX];

	reef_cpuset_zero(&set);
	CU_ASSERT_STRING_EQUAL(reef_cpuset_fmt(&set, buf, sizeof(buf)), "0x0");
	reef_cpuset_set_cpu(&set, 0, true);
	reef_cpuset_set_cpu(&set, 5, true);
	CU_ASSERT_STRING_EQUAL(reef_cpuset_fmt(&set, buf, sizeof(buf)), "0x21");
	reef_cpuset_fill(&set);
	memset(expect, 'f', sizeof(expect));
	expect[0] = '0';
	expect[1] = 'x';
	expect[sizeof(expect) - 1] = '\0';
	/* The longest string exactly fills REEF_CPUSET_STR_MAX. */
	CU_ASSERT_STRING_EQUAL(reef_cpuset_fmt(&set, buf, sizeof(buf)), expect);
}

static void
cpuset_fmt_truncates_within_buffer(void)
{
	struct reef_cpuset set;
	char buf[8];

	reef_cpuset_zero(&set);
	reef_cpuset_set_cpu(&set, 16, true);
	memset(buf, 'Z', sizeof(buf));
	reef_cpuset_fmt(&set, buf, 5);
	CU_ASSERT_STRING_EQUAL(buf, "0x10");
	CU_ASSERT(buf[5] == 'Z');
	memset(buf, 'Z', sizeof(buf));
	reef_cpuset_fmt(&set, buf, 1);
	CU_ASSERT(buf[0] == '\0');
	CU_ASSERT(buf[1] == 'Z');
	memset(buf, 'Z', sizeof(buf));
	reef_cpuset_fmt(&set, buf, 0);
	CU_ASSERT(buf[0] == 'Z');
}

static void
cpuset_next_and_foreach_visit_set_cores_in_order(void)
{
	const uint32_t expect[] = {0, 5, 63, 64, 127};
	struct reef_cpuset set;
	uint32_t cpu, seen[8];
	size_t n = 0, i;

	set_of(&set, CORES(0, 5, 63, 64, 127));
	CU_ASSERT(reef_cpuset_next(&set, 0) == 0);
	CU_ASSERT(reef_cpuset_next(&set, 1) == 5);
	CU_ASSERT(reef_cpuset_next(&set, 6) == 63);
	CU_ASSERT(reef_cpuset_next(&set, 64) == 64);
	CU_ASSERT(reef_cpuset_next(&set, 65) == 127);
	CU_ASSERT(reef_cpuset_next(&set, 128) == REEF_MAX_LCORE);
	CU_ASSERT(reef_cpuset_next(&set, UINT32_MAX) == REEF_MAX_LCORE);
	REEF_CPUSET_FOREACH(cpu, &set)
	{
		if (n < REEF_COUNTOF(seen)) {
			seen[n] = cpu;
		}
		n++;
	}
	CU_ASSERT_FATAL(n == REEF_COUNTOF(expect));
	for (i = 0; i < n; i++) {
		CU_ASSERT(seen[i] == expect[i]);
	}

	reef_cpuset_zero(&set);
	CU_ASSERT(reef_cpuset_next(&set, 0) == REEF_MAX_LCORE);
	n = 0;
	REEF_CPUSET_FOREACH(cpu, &set)
	{
		n++;
	}
	CU_ASSERT(n == 0);
}

static void
cpuset_count_counts_every_word(void)
{
	struct reef_cpuset set;

	reef_cpuset_zero(&set);
	CU_ASSERT(reef_cpuset_count(&set) == 0);
	set_of(&set, CORES(0, 63, 64, 127));
	CU_ASSERT(reef_cpuset_count(&set) == 4);
	reef_cpuset_fill(&set);
	CU_ASSERT(reef_cpuset_count(&set) == REEF_MAX_LCORE);
}

static void
cpuset_set_get_ignore_cores_beyond_max(void)
{
	struct reef_cpuset set, before;

	reef_cpuset_zero(&set);
	reef_cpuset_set_cpu(&set, 70, true);
	CU_ASSERT(reef_cpuset_get_cpu(&set, 70));
	CU_ASSERT(!reef_cpuset_get_cpu(&set, 69));
	before = set;
	reef_cpuset_set_cpu(&set, REEF_MAX_LCORE, true);
	reef_cpuset_set_cpu(&set, UINT32_MAX, true);
	CU_ASSERT(reef_cpuset_equal(&set, &before));
	CU_ASSERT(!reef_cpuset_get_cpu(&set, REEF_MAX_LCORE));
	reef_cpuset_fill(&set);
	CU_ASSERT(!reef_cpuset_get_cpu(&set, REEF_MAX_LCORE));
	reef_cpuset_set_cpu(&set, 70, false);
	CU_ASSERT(!reef_cpuset_get_cpu(&set, 70));
	CU_ASSERT(reef_cpuset_count(&set) == REEF_MAX_LCORE - 1);
}

static void
cpuset_and_or_combine_sets(void)
{
	struct reef_cpuset a, b, r;

	set_of(&a, CORES(0, 1, 64, 100));
	set_of(&b, CORES(1, 2, 100, 127));
	reef_cpuset_copy(&r, &a);
	CU_ASSERT(reef_cpuset_equal(&r, &a));
	reef_cpuset_and(&r, &b);
	CU_ASSERT(set_is(&r, CORES(1, 100)));
	reef_cpuset_copy(&r, &a);
	reef_cpuset_or(&r, &b);
	CU_ASSERT(set_is(&r, CORES(0, 1, 2, 64, 100, 127)));
	/* The source is left alone. */
	CU_ASSERT(set_is(&b, CORES(1, 2, 100, 127)));
}

static void
cpuset_negate_fill_and_equal(void)
{
	struct reef_cpuset a, b;

	reef_cpuset_zero(&a);
	reef_cpuset_negate(&a);
	reef_cpuset_fill(&b);
	CU_ASSERT(reef_cpuset_equal(&a, &b));
	set_of(&a, CORES(3, 127));
	reef_cpuset_negate(&a);
	CU_ASSERT(reef_cpuset_count(&a) == REEF_MAX_LCORE - 2);
	CU_ASSERT(!reef_cpuset_get_cpu(&a, 3) && !reef_cpuset_get_cpu(&a, 127));
	CU_ASSERT(reef_cpuset_get_cpu(&a, 0) && reef_cpuset_get_cpu(&a, 126));
	reef_cpuset_negate(&a);
	CU_ASSERT(set_is(&a, CORES(3, 127)));
	/* equal looks at every word, the last core included. */
	set_of(&b, CORES(3));
	CU_ASSERT(!reef_cpuset_equal(&a, &b));
	reef_cpuset_set_cpu(&b, 127, true);
	CU_ASSERT(reef_cpuset_equal(&a, &b));
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, cpuset_parse_hex_with_and_without_prefix);
	UT_ADD(suite, cpuset_parse_hex_reaches_the_top_core);
	UT_ADD(suite, cpuset_parse_bracket_list);
	UT_ADD(suite, cpuset_parse_malformed_is_einval_and_keeps_target);
	UT_ADD(suite, cpuset_parse_core_beyond_max_is_einval);
	UT_ADD(suite, cpuset_fmt_round_trips_through_parse);
	UT_ADD(suite, cpuset_fmt_exact_strings);
	UT_ADD(suite, cpuset_fmt_truncates_within_buffer);
	UT_ADD(suite, cpuset_next_and_foreach_visit_set_cores_in_order);
	UT_ADD(suite, cpuset_count_counts_every_word);
	UT_ADD(suite, cpuset_set_get_ignore_cores_beyond_max);
	UT_ADD(suite, cpuset_and_or_combine_sets);
	UT_ADD(suite, cpuset_negate_fill_and_equal);
	return 0;
}

UT_MAIN("cpuset", add_tests)
