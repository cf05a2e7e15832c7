/*
 * The id map: put/get/replace, its limits and bad input, and removal that
 * keeps every other id findable however the probe runs overlap (checked
 * against a plain array through thousands of random operations).
 */
#include "ut_main.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "reef/idmap.h"

static int g_values[4096];

static void
idmap_put_get_replace(void)
{
	struct reef_idmap map;

	CU_ASSERT_FATAL(reef_idmap_init(&map, 4) == 0);
	CU_ASSERT(reef_idmap_get(&map, 7) == NULL);
	CU_ASSERT(reef_idmap_put(&map, 7, &g_values[0]) == 0);
	CU_ASSERT(reef_idmap_put(&map, 8, &g_values[1]) == 0);
	CU_ASSERT(reef_idmap_get(&map, 7) == &g_values[0]);
	CU_ASSERT(reef_idmap_get(&map, 8) == &g_values[1]);
	/* Putting an id again replaces its value and takes no more room. */
	CU_ASSERT(reef_idmap_put(&map, 7, &g_values[2]) == 0);
	CU_ASSERT(reef_idmap_get(&map, 7) == &g_values[2]);
	CU_ASSERT(map.count == 2);
	reef_idmap_fini(&map);
	CU_ASSERT(reef_idmap_get(&map, 7) == NULL);
}

static void
idmap_refuses_bad_input_and_overflow(void)
{
	struct reef_idmap map;
	uint64_t id;

	CU_ASSERT(reef_idmap_init(&map, 0) == -EINVAL);
	CU_ASSERT(reef_idmap_init(&map, (1u << 30) + 1) == -EINVAL);
	CU_ASSERT_FATAL(reef_idmap_init(&map, 3) == 0);
	CU_ASSERT(reef_idmap_put(&map, 0, &g_values[0]) == -EINVAL);
	CU_ASSERT(reef_idmap_put(&map, 1, NULL) == -EINVAL);
	CU_ASSERT(reef_idmap_get(&map, 0) == NULL);
	CU_ASSERT(reef_idmap_del(&map, 0) == -ENOENT);
	for (id = 1; id <= 3; id++) {
		CU_ASSERT(reef_idmap_put(&map, id, &g_values[id]) == 0);
	}
	/* Full: a new id is refused, the old ones are untouched, a replacement still works. */
	CU_ASSERT(reef_idmap_put(&map, 4, &g_values[4]) == -ENOSPC);
	CU_ASSERT(reef_idmap_get(&map, 4) == NULL);
	CU_ASSERT(reef_idmap_put(&map, 2, &g_values[9]) == 0);
	CU_ASSERT(reef_idmap_get(&map, 2) == &g_values[9]);
	CU_ASSERT(reef_idmap_del(&map, 5) == -ENOENT);
	CU_ASSERT(reef_idmap_del(&map, 1) == 0);
	CU_ASSERT(reef_idmap_del(&map, 1) == -ENOENT);
	CU_ASSERT(reef_idmap_put(&map, 4, &g_values[4]) == 0);
	CU_ASSERT(map.count == 3);
	reef_idmap_fini(&map);
}

/* Random puts and deletes of ids that collide often, checked against a plain array. */
static void
idmap_agrees_with_a_plain_array_under_churn(void)
{
	enum { IDS = 600, MAX = 256, OPS = 200000 };
	static void *model[IDS + 1];
	struct reef_idmap map;
	uint32_t live = 0, i;
	bool agree = true;
	uint64_t id;

	srand(12345);
	CU_ASSERT_FATAL(reef_idmap_init(&map, MAX) == 0);
	for (i = 0; i < OPS && agree; i++) {
		/* More ids than room: puts find the map full, deletes find ids absent. */
		id = 1 + (uint64_t)(rand() % IDS);
		if (rand() % 2 == 0) {
			int rc = reef_idmap_put(&map, id, &g_values[id]);

			if (model[id] == NULL && live == MAX) {
				agree = rc == -ENOSPC;
			} else {
				agree = rc == 0;
				live += model[id] == NULL;
				model[id] = &g_values[id];
			}
		} else {
			int rc = reef_idmap_del(&map, id);

			agree = rc == (model[id] != NULL ? 0 : -ENOENT);
			live -= model[id] != NULL;
			model[id] = NULL;
		}
		if (i % 997 == 0) {
			uint64_t j;

			for (j = 1; j <= IDS && agree; j++) {
				agree = reef_idmap_get(&map, j) == model[j];
			}
		}
	}
	CU_ASSERT(agree);
	CU_ASSERT(map.count == live);
	reef_idmap_fini(&map);
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, idmap_put_get_replace);
	UT_ADD(suite, idmap_refuses_bad_input_and_overflow);
	UT_ADD(suite, idmap_agrees_with_a_plain_array_under_churn);
	return 0;
}

UT_MAIN("idmap", add_tests)
