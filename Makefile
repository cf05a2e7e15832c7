# Reef: top-level build.
#
#   make              build every library, program and test
#   make check        build, then run every unit and multi-process test
#   make SANITIZE=1 check   the same under ASan+UBSan (into build-san/)
#   make demo         run reefd on all cores with reef-top attached
#   make bench        run the benchmarks (see doc/benchmarks.md)
#   make format-check verify formatting against .clang-format
#   make install      install under PREFIX (default /usr/local; DESTDIR for staging)

REEF_ROOT := $(abspath $(CURDIR))
include $(REEF_ROOT)/mk/reef.common.mk

SUBDIRS := lib app tools test
DEPDIRS-app := lib
DEPDIRS-tools := lib
DEPDIRS-test := lib app

all: $(SUBDIRS)

$(SUBDIRS): deps
	$(Q)$(MAKE) --no-print-directory -C $@ all

$(foreach d,$(SUBDIRS),$(eval $(d): $(DEPDIRS-$(d))))

# Missing Debian packages are installed (as root) or named in one line.
deps:
	$(Q)tools/pkgdep.sh --check >/dev/null || tools/pkgdep.sh

hugepages:
	$(Q)tools/setup.sh reserve

check: all hugepages
	$(Q)BUILD_DIR=$(BUILD_DIR) SANITIZE=$(SANITIZE) test/run.sh $(TESTS)

demo: all hugepages
	$(Q)BUILD_DIR=$(BUILD_DIR) tools/demo.sh

bench: hugepages
	$(Q)$(MAKE) --no-print-directory -C test/bench run

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

format:
	$(Q)clang-format -i $(FORMAT_FILES)

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: ok"

clean:
	rm -rf $(BUILD_DIR)

distclean:
	rm -rf $(REEF_ROOT)/build $(REEF_ROOT)/build-san

include $(REEF_ROOT)/mk/reef.install.mk

.PHONY: all deps hugepages check demo bench format format-check clean distclean $(SUBDIRS)
