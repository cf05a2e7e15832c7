/*
 * Names of functions in a running process, from the symbol tables of the ELF
 * files it has mapped: how reef-trace names message functions.
 */
#ifndef REEF_TRACE_SYM_H
#define REEF_TRACE_SYM_H

#include <stdint.h>
#include <sys/types.h>

struct rt_symbolizer;

/* A symbolizer for process pid, or NULL if out of memory. */
struct rt_symbolizer *rt_sym_open(pid_t pid);

/*
 * The name of the function at addr: "fn", "fn+0x10", "libx.so+0x1234" when
 * the file has no symbol there, or "0x7f..." when no file is mapped there.
 * The string stays valid until rt_sym_close().
 */
const char *rt_sym_lookup(struct rt_symbolizer *s, uint64_t addr);

void rt_sym_close(struct rt_symbolizer *s);

#endif /* REEF_TRACE_SYM_H */
