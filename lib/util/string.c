#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reef/string.h"

bool
reef_strcpy_trunc(char *dst, size_t size, const char *src)
{
	size_t len;

	if (size == 0) {
		return src[0] != '\0';
	}
	len = strnlen(src, size);
	if (len < size) {
		memcpy(dst, src, len + 1);
		return false;
	}
	memcpy(dst, src, size - 1);
	dst[size - 1] = '\0';
	return true;
}

bool
reef_name_is_valid(const char *name, size_t max_len, const char *extra)
{
	size_t i;

	if (name == NULL || name[0] == '\0') {
		return false;
	}
	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (i >= max_len) {
			return false;
		}
		if (!isalnum(c) && (extra == NULL || strchr(extra, c) == NULL)) {
			return false;
		}
	}
	return true;
}

int
reef_parse_u64(const char *str, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;
	int base;

	if (str == NULL || str[0] == '\0' || str[0] == '-' || isspace((unsigned char)str[0])) {
		return -EINVAL;
	}
	/* Base 0 would read "010" as octal 8 and refuse "08": a leading zero stays decimal. */
	base = str[0] == '0' && (str[1] == 'x' || str[1] == 'X') ? 16 : 10;
	errno = 0;
	v = strtoull(str, &end, base);
	if (errno != 0 || *end != '\0' || v > max) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}
