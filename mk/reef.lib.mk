# Build one or more static libraries from a lib/<name>/ directory.
#
# Required: LIBNAME and C_SRCS. A directory that builds a second library (lib/env
# builds env and env_fake) adds its name to EXTRA_LIBNAMES and lists its sources
# in C_SRCS_<name>. SRC_CFLAGS adds flags for this directory only.
#
# Each library is built twice: libreef_<name>.a for programs, and
# libreef_<name>_ut.a for unit tests (REEF_UNIT_TEST defined, USDT probes out).

ifndef LIBNAME
$(error LIBNAME is not set: a library Makefile must name its library)
endif
ifndef C_SRCS
$(error C_SRCS is not set: a library Makefile must list its sources)
endif

include $(REEF_ROOT)/mk/reef.common.mk

C_SRCS_$(LIBNAME) ?= $(C_SRCS)
ALL_LIBNAMES := $(LIBNAME) $(EXTRA_LIBNAMES)
OBJDIR := $(OBJ_ROOT)/lib/$(notdir $(CURDIR))
UT_OBJDIR := $(OBJDIR)/ut

all: $(foreach l,$(ALL_LIBNAMES),$(LIB_DIR)/libreef_$(l).a $(LIB_DIR)/libreef_$(l)_ut.a)

define reef_lib_rules
$(LIB_DIR)/libreef_$(1).a: $(C_SRCS_$(1):%.c=$(OBJDIR)/%.o)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  AR $$(notdir $$@)")
	$$(Q)rm -f $$@ && $$(AR) rcs $$@ $$^

$(LIB_DIR)/libreef_$(1)_ut.a: $(C_SRCS_$(1):%.c=$(UT_OBJDIR)/%.o)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  AR $$(notdir $$@)")
	$$(Q)rm -f $$@ && $$(AR) rcs $$@ $$^
endef
$(foreach l,$(ALL_LIBNAMES),$(eval $(call reef_lib_rules,$(l))))

$(eval $(call reef_compile_rule,$(OBJDIR),$(SRC_CFLAGS) $(CFLAGS_USDT)))
$(eval $(call reef_compile_rule,$(UT_OBJDIR),$(SRC_CFLAGS) -DREEF_UNIT_TEST -DREEF_CONFIG_USDT=0, (ut)))

-include $(wildcard $(OBJDIR)/*.d $(UT_OBJDIR)/*.d)

clean:
	rm -rf $(OBJDIR) $(foreach l,$(ALL_LIBNAMES),$(LIB_DIR)/libreef_$(l).a $(LIB_DIR)/libreef_$(l)_ut.a)

.PHONY: all clean
