/*
 * Bounded string helpers: truncating copies into fixed fields, name
 * validation and strict number parsing.
 */
#include "ut_main.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "reef/string.h"

static void
strcpy_trunc_fits_without_flag(void)
{
	char dst[8];

	memset(dst, 'Z', sizeof(dst));
	CU_ASSERT(!reef_strcpy_trunc(dst, sizeof(dst), "abc"));
	CU_ASSERT_STRING_EQUAL(dst, "abc");
	/* Nothing past the NUL is touched. */
	CU_ASSERT(dst[4] == 'Z');
	/* size - 1 characters still fit. */
	CU_ASSERT(!reef_strcpy_trunc(dst, sizeof(dst), "1234567"));
	CU_ASSERT_STRING_EQUAL(dst, "1234567");
	CU_ASSERT(!reef_strcpy_trunc(dst, sizeof(dst), ""));
	CU_ASSERT_STRING_EQUAL(dst, "");
}

static void
strcpy_trunc_truncates_and_terminates(void)
{
	char dst[9];

	memset(dst, 'Z', sizeof(dst));
	/* One character too many. */
	CU_ASSERT(reef_strcpy_trunc(dst, 8, "12345678"));
	CU_ASSERT_STRING_EQUAL(dst, "1234567");
	CU_ASSERT(dst[8] == 'Z');
	CU_ASSERT(reef_strcpy_trunc(dst, 8, "a much longer string than eight bytes"));
	CU_ASSERT_STRING_EQUAL(dst, "a much ");
	CU_ASSERT(dst[8] == 'Z');
	/* A one-byte field only holds the NUL. */
	CU_ASSERT(reef_strcpy_trunc(dst, 1, "x"));
	CU_ASSERT(dst[0] == '\0');
	CU_ASSERT(!reef_strcpy_trunc(dst, 1, ""));
}

static void
strcpy_trunc_zero_size_writes_nothing(void)
{
	char dst[4] = "abc";

	CU_ASSERT(reef_strcpy_trunc(dst, 0, "x"));
	CU_ASSERT(!reef_strcpy_trunc(dst, 0, ""));
	CU_ASSERT_STRING_EQUAL(dst, "abc");
}

static void
name_valid_length_bounds(void)
{
	CU_ASSERT(reef_name_is_valid("a", 4, NULL));
	CU_ASSERT(reef_name_is_valid("abcd", 4, NULL));
	CU_ASSERT(!reef_name_is_valid("abcde", 4, NULL));
	CU_ASSERT(!reef_name_is_valid("", 4, NULL));
	CU_ASSERT(!reef_name_is_valid(NULL, 4, NULL));
	CU_ASSERT(!reef_name_is_valid("a", 0, NULL));
}

static void
name_valid_characters_and_extra_set(void)
{
	CU_ASSERT(reef_name_is_valid("Reef42", 16, NULL));
	CU_ASSERT(!reef_name_is_valid("my_app", 16, NULL));
	CU_ASSERT(reef_name_is_valid("my_app", 16, "_-"));
	CU_ASSERT(reef_name_is_valid("-_-", 16, "_-"));
	CU_ASSERT(!reef_name_is_valid("my.app", 16, "_-"));
	CU_ASSERT(reef_name_is_valid("my.app", 16, "_-."));
	CU_ASSERT(!reef_name_is_valid("my app", 16, "_-"));
	CU_ASSERT(!reef_name_is_valid("a/b", 16, "_-."));
	CU_ASSERT(!reef_name_is_valid("tab\t", 16, "_-"));
	/* Bytes beyond ASCII are not letters. */
	CU_ASSERT(!reef_name_is_valid("caf\xc3\xa9", 16, "_-"));
}

static void
parse_u64_decimal_and_hex(void)
{
	unsigned long long v = 7;

	CU_ASSERT(reef_parse_u64("0", 100, &v) == 0 && v == 0);
	CU_ASSERT(reef_parse_u64("42", 100, &v) == 0 && v == 42);
	CU_ASSERT(reef_parse_u64("0x1f", 100, &v) == 0 && v == 31);
	CU_ASSERT(reef_parse_u64("0XFF", 255, &v) == 0 && v == 255);
	CU_ASSERT(reef_parse_u64("18446744073709551615", ULLONG_MAX, &v) == 0 && v == ULLONG_MAX);
	CU_ASSERT(reef_parse_u64("0xffffffffffffffff", ULLONG_MAX, &v) == 0 && v == ULLONG_MAX);
}

static void
parse_u64_leading_zero_is_decimal(void)
{
	unsigned long long v = 0;

	/* Decimal or 0x-hex only: a leading zero does not switch to octal. */
	CU_ASSERT(reef_parse_u64("010", 100, &v) == 0 && v == 10);
	CU_ASSERT(reef_parse_u64("08", 100, &v) == 0 && v == 8);
	CU_ASSERT(reef_parse_u64("0009", 100, &v) == 0 && v == 9);
}

static void
parse_u64_rejects_junk_and_keeps_out(void)
{
	static const char *const bad[] = {
		"",    "12abc", "1 ",  " 1",  "\t1", "0x",   "0xg",
		"x10", "1.5",   "1e3", "abc", "-",   "0x-1",
	};
	unsigned long long v = 1234;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (reef_parse_u64(bad[i], ULLONG_MAX, &v) != -EINVAL) {
			CU_FAIL("junk parsed as a number");
			fprintf(stderr, "  accepted: '%s'\n", bad[i]);
		}
	}
	CU_ASSERT(reef_parse_u64(NULL, ULLONG_MAX, &v) == -EINVAL);
	CU_ASSERT(v == 1234);
}

static void
parse_u64_rejects_negative(void)
{
	unsigned long long v = 5;

	/* strtoull would wrap "-1" to ULLONG_MAX: refused instead. */
	CU_ASSERT(reef_parse_u64("-1", ULLONG_MAX, &v) == -EINVAL);
	CU_ASSERT(reef_parse_u64("-0", ULLONG_MAX, &v) == -EINVAL);
	CU_ASSERT(reef_parse_u64(" -1", ULLONG_MAX, &v) == -EINVAL);
	CU_ASSERT(v == 5);
}

static void
parse_u64_rejects_above_max(void)
{
	unsigned long long v = 5;

	CU_ASSERT(reef_parse_u64("100", 100, &v) == 0 && v == 100);
	v = 5;
	CU_ASSERT(reef_parse_u64("101", 100, &v) == -EINVAL);
	CU_ASSERT(reef_parse_u64("0x65", 100, &v) == -EINVAL);
	/* Beyond 64 bits is out of range, not wrapped. */
	CU_ASSERT(reef_parse_u64("18446744073709551616", ULLONG_MAX, &v) == -EINVAL);
	CU_ASSERT(reef_parse_u64("0x10000000000000000", ULLONG_MAX, &v) == -EINVAL);
	CU_ASSERT(v == 5);
}

static int
add_tests(CU_pSuite suite)
{
	UT_ADD(suite, strcpy_trunc_fits_without_flag);
	UT_ADD(suite, strcpy_trunc_truncates_and_terminates);
	UT_ADD(suite, strcpy_trunc_zero_size_writes_nothing);
	UT_ADD(suite, name_valid_length_bounds);
	UT_ADD(suite, name_valid_characters_and_extra_set);
	UT_ADD(suite, parse_u64_decimal_and_hex);
	UT_ADD(suite, parse_u64_leading_zero_is_decimal);
	UT_ADD(suite, parse_u64_rejects_junk_and_keeps_out);
	UT_ADD(suite, parse_u64_rejects_negative);
	UT_ADD(suite, parse_u64_rejects_above_max);
	return 0;
}

UT_MAIN("string", add_tests)
