/*
 * <sys/queue.h> plus the iteration macros glibc leaves out.
 */
#ifndef REEF_QUEUE_H
#define REEF_QUEUE_H

#include <sys/queue.h>

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                         \
	for ((var) = TAILQ_FIRST((head)); (var) && ((tvar) = TAILQ_NEXT((var), field), 1); \
	     (var) = (tvar))
#endif

#ifndef TAILQ_FOREACH_REVERSE_SAFE
#define TAILQ_FOREACH_REVERSE_SAFE(var, head, headname, field, tvar) \
	for ((var) = TAILQ_LAST((head), headname);                   \
	     (var) && ((tvar) = TAILQ_PREV((var), headname, field), 1); (var) = (tvar))
#endif

#endif /* REEF_QUEUE_H */
