# Build one CUnit test program from a test/unit/lib/<lib>/<file>.c/ directory.
#
# Required: TEST_FILE (the <file>_ut.c source). REEF_LIBS names the Reef
# libraries under test; they are linked in their unit-test build against the
# fake env (plain memory, a fake clock where one tick is one microsecond).
# TEST_EXTRA_SRCS (optional) lists sources of a program, relative to REEF_ROOT,
# compiled into the test with their directory on the include path: how an
# app's own modules (app/reef-top/model.c) are unit-tested.

ifndef TEST_FILE
$(error TEST_FILE is not set: a unit test Makefile must name its source)
endif

include $(REEF_ROOT)/mk/reef.common.mk

TEST_REL := $(patsubst $(REEF_ROOT)/%,%,$(CURDIR))
OBJDIR := $(OBJ_ROOT)/$(TEST_REL)
TEST_BIN := $(TEST_BIN_DIR)/unit/$(basename $(TEST_FILE))
UT_LIBS := $(filter $(filter-out env,$(call reef_closure,$(REEF_LIBS))) env_fake,$(REEF_LIB_ORDER))
UT_LIB_FILES := $(UT_LIBS:%=$(LIB_DIR)/libreef_%_ut.a)
EXTRA_OBJS := $(TEST_EXTRA_SRCS:%.c=$(OBJDIR)/extra/%.o)
EXTRA_INC := $(addprefix -I$(REEF_ROOT)/,$(sort $(dir $(TEST_EXTRA_SRCS))))

all: $(TEST_BIN)

$(TEST_BIN): $(OBJDIR)/$(TEST_FILE:.c=.o) $(EXTRA_OBJS) $(UT_LIB_FILES)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK $(notdir $@)")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(EXTRA_OBJS) $(UT_LIB_FILES) $(shell pkg-config --libs $(PKG_CUNIT)) $(DPDK_LIBS) -lm

$(eval $(call reef_compile_rule,$(OBJDIR),-DREEF_UNIT_TEST -DREEF_CONFIG_USDT=0 -I$(REEF_ROOT)/lib -I$(REEF_ROOT)/test/common $(EXTRA_INC) $(shell pkg-config --cflags $(PKG_CUNIT))))

$(OBJDIR)/extra/%.o: $(REEF_ROOT)/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $*.c (ut)")
	$(Q)$(CC) $(CFLAGS) -DREEF_UNIT_TEST -DREEF_CONFIG_USDT=0 $(EXTRA_INC) -MMD -MP -c $< -o $@

-include $(wildcard $(OBJDIR)/*.d) $(EXTRA_OBJS:.o=.d)

clean:
	rm -rf $(OBJDIR) $(TEST_BIN)

.PHONY: all clean
