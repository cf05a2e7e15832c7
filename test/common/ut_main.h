/*
 * The main() every unit test program shares: register its suite and run it
 * in CUnit's basic mode, which prints the summary CI reads.
 */
#ifndef REEF_UT_MAIN_H
#define REEF_UT_MAIN_H

#include <CUnit/Basic.h>
#include <stdlib.h>

#define UT_ADD(suite, fn)                                      \
	do {                                                   \
		if (CU_add_test((suite), #fn, (fn)) == NULL) { \
			return -1;                             \
		}                                              \
	} while (0)

#define UT_MAIN(suite_name, add_tests)                                                    \
	int main(void)                                                                    \
	{                                                                                 \
		CU_pSuite suite;                                                          \
		unsigned int failures;                                                    \
                                                                                          \
		if (CU_initialize_registry() != CUE_SUCCESS) {                            \
			return CU_get_error();                                            \
		}                                                                         \
		suite = CU_add_suite((suite_name), NULL, NULL);                           \
		if (suite == NULL) {                                                      \
			CU_cleanup_registry();                                            \
			return CU_get_error();                                            \
		}                                                                         \
		if (add_tests(suite) != 0) {                                              \
			CU_cleanup_registry();                                            \
			return 1;                                                         \
		}                                                                         \
		CU_basic_set_mode(CU_BRM_VERBOSE);                                        \
		CU_basic_run_tests();                                                     \
		failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed(); \
		CU_cleanup_registry();                                                    \
		return failures == 0 ? 0 : 1;                                             \
	}

#endif /* REEF_UT_MAIN_H */
