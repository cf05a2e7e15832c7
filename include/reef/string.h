/*
 * Bounded string helpers for names stored in fixed-size shared-memory fields.
 */
#ifndef REEF_STRING_H
#define REEF_STRING_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copy src into dst (size bytes, always NUL-terminated). Returns true when src
 * had to be truncated. Any thread.
 */
bool reef_strcpy_trunc(char *dst, size_t size, const char *src);

/*
 * Whether name is a valid identifier of at most max_len characters made of
 * letters, digits and the characters listed in extra (e.g. "_-" or "_-.").
 */
bool reef_name_is_valid(const char *name, size_t max_len, const char *extra);

/*
 * Parse an unsigned decimal or 0x-hex number that must fill the whole string
 * and be <= max. Returns 0 or -EINVAL.
 */
int reef_parse_u64(const char *str, unsigned long long max, unsigned long long *out);

#endif /* REEF_STRING_H */
