# Recurse into DIRS-y in order (a directory's Makefile lists DIRS-y and, for
# ordering, DEPDIRS-<dir> of sibling directories it must follow).

include $(REEF_ROOT)/mk/reef.common.mk

all: $(DIRS-y)
clean: $(DIRS-y:%=%.clean)

$(DIRS-y):
	$(Q)$(MAKE) --no-print-directory -C $@ all

$(DIRS-y:%=%.clean):
	$(Q)$(MAKE) --no-print-directory -C $(basename $@) clean

$(foreach d,$(DIRS-y),$(eval $(d): $(filter $(DIRS-y),$(DEPDIRS-$(d)))))

.PHONY: all clean $(DIRS-y) $(DIRS-y:%=%.clean)
