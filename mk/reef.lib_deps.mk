# The library dependency graph, written down as data. A library may only call
# the libraries listed for it; apps and tests name the libraries they use
# directly and get the rest from here.

DEPDIRS-util := log
DEPDIRS-log :=
DEPDIRS-env := log util
DEPDIRS-env_fake := log util
DEPDIRS-shm := env log util
DEPDIRS-thread := shm env log util
DEPDIRS-event := client thread shm env log util
DEPDIRS-client := thread shm env log util

# Link order: every library before the ones it depends on. env and env_fake are
# alternatives (the real DPDK env and the unit tests' fake): never link both.
REEF_LIB_ORDER := event client thread shm env env_fake util log
