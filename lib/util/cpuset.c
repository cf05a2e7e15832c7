#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reef/cpuset.h"
#include "reef/util.h"

#define WORDS REEF_COUNTOF(((struct reef_cpuset *)0)->bits)

void
reef_cpuset_zero(struct reef_cpuset *set)
{
	memset(set, 0, sizeof(*set));
}

void
reef_cpuset_fill(struct reef_cpuset *set)
{
	memset(set, 0xff, sizeof(*set));
}

void
reef_cpuset_negate(struct reef_cpuset *set)
{
	size_t i;

	for (i = 0; i < WORDS; i++) {
		set->bits[i] = ~set->bits[i];
	}
}

void
reef_cpuset_copy(struct reef_cpuset *dst, const struct reef_cpuset *src)
{
	memcpy(dst, src, sizeof(*dst));
}

void
reef_cpuset_and(struct reef_cpuset *dst, const struct reef_cpuset *src)
{
	size_t i;

	for (i = 0; i < WORDS; i++) {
		dst->bits[i] &= src->bits[i];
	}
}

void
reef_cpuset_or(struct reef_cpuset *dst, const struct reef_cpuset *src)
{
	size_t i;

	for (i = 0; i < WORDS; i++) {
		dst->bits[i] |= src->bits[i];
	}
}

bool
reef_cpuset_equal(const struct reef_cpuset *a, const struct reef_cpuset *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

void
reef_cpuset_set_cpu(struct reef_cpuset *set, uint32_t cpu, bool on)
{
	if (cpu >= REEF_MAX_LCORE) {
		return;
	}
	if (on) {
		set->bits[cpu / 64] |= 1ULL << (cpu % 64);
	} else {
		set->bits[cpu / 64] &= ~(1ULL << (cpu % 64));
	}
}

bool
reef_cpuset_get_cpu(const struct reef_cpuset *set, uint32_t cpu)
{
	if (cpu >= REEF_MAX_LCORE) {
		return false;
	}
	return (set->bits[cpu / 64] >> (cpu % 64)) & 1;
}

uint32_t
reef_cpuset_count(const struct reef_cpuset *set)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < WORDS; i++) {
		n += (uint32_t)__builtin_popcountll(set->bits[i]);
	}
	return n;
}

uint32_t
reef_cpuset_next(const struct reef_cpuset *set, uint32_t from)
{
	while (from < REEF_MAX_LCORE) {
		uint64_t word = set->bits[from / 64] >> (from % 64);

		if (word != 0) {
			return from + (uint32_t)__builtin_ctzll(word);
		}
		from = (from / 64 + 1) * 64;
	}
	return REEF_MAX_LCORE;
}

static int
parse_list(struct reef_cpuset *set, const char *s)
{
	const char *p = s + 1;

	while (*p != ']') {
		unsigned long lo, hi;
		char *end;

		if (!isdigit((unsigned char)*p)) {
			return -EINVAL;
		}
		lo = strtoul(p, &end, 10);
		hi = lo;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p)) {
				return -EINVAL;
			}
			hi = strtoul(p, &end, 10);
			p = end;
		}
		if (lo > hi || hi >= REEF_MAX_LCORE) {
			return -EINVAL;
		}
		for (; lo <= hi; lo++) {
			reef_cpuset_set_cpu(set, (uint32_t)lo, true);
		}
		if (*p == ',') {
			p++;
			/* A comma promises another core: "[1,]" is malformed. */
			if (*p == ']') {
				return -EINVAL;
			}
		} else if (*p != ']') {
			return -EINVAL;
		}
	}
	return p[1] == '\0' ? 0 : -EINVAL;
}

static int
parse_hex(struct reef_cpuset *set, const char *s)
{
	size_t len, i;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
	}
	len = strlen(s);
	if (len == 0) {
		return -EINVAL;
	}
	/* Walk from the least significant digit; each digit is four cores. */
	for (i = 0; i < len; i++) {
		char c = s[len - 1 - i];
		uint32_t nibble, bit;

		if (!isxdigit((unsigned char)c)) {
			return -EINVAL;
		}
		nibble = (uint32_t)(isdigit((unsigned char)c) ? c - '0' : tolower(c) - 'a' + 10);
		for (bit = 0; bit < 4; bit++) {
			if (!(nibble & (1u << bit))) {
				continue;
			}
			if (i * 4 + bit >= REEF_MAX_LCORE) {
				return -EINVAL;
			}
			reef_cpuset_set_cpu(set, (uint32_t)(i * 4 + bit), true);
		}
	}
	return 0;
}

int
reef_cpuset_parse(struct reef_cpuset *set, const char *str)
{
	struct reef_cpuset tmp;
	int rc;

	if (str == NULL) {
		return -EINVAL;
	}
	reef_cpuset_zero(&tmp);
	rc = str[0] == '[' ? parse_list(&tmp, str) : parse_hex(&tmp, str);
	if (rc == 0) {
		*set = tmp;
	}
	return rc;
}

const char *
reef_cpuset_fmt(const struct reef_cpuset *set, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char digits[REEF_MAX_LCORE / 4 + 1];
	int top = -1, i;
	size_t n = 0;

	for (i = 0; i < REEF_MAX_LCORE / 4; i++) {
		uint32_t nibble = (uint32_t)(set->bits[i / 16] >> ((i % 16) * 4)) & 0xf;

		digits[i] = hex[nibble];
		if (nibble) {
			top = i;
		}
	}
	if (len == 0) {
		return buf;
	}
	if (top < 0) {
		top = 0;
	}
	n = (size_t)snprintf(buf, len, "0x");
	for (i = top; i >= 0 && n + 1 < len; i--) {
		buf[n++] = digits[i];
	}
	buf[n < len ? n : len - 1] = '\0';
	return buf;
}
