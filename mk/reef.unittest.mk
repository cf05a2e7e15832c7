# Build one CUnit test program from a test/unit/lib/<lib>/<file>.c/ directory.
#
# Required: TEST_FILE (the <file>_ut.c source). REEF_LIBS names the Reef
# libraries under test; they are linked in their unit-test build against the
# fake env (plain memory, a fake clock where one tick is one microsecond).

ifndef TEST_FILE
$(error TEST_FILE is not set: a unit test Makefile must name its source)
endif

include $(REEF_ROOT)/mk/reef.common.mk

TEST_REL := $(patsubst $(REEF_ROOT)/%,%,$(CURDIR))
OBJDIR := $(OBJ_ROOT)/$(TEST_REL)
TEST_BIN := $(TEST_BIN_DIR)/unit/$(basename $(TEST_FILE))
UT_LIBS := $(filter $(filter-out env,$(call reef_closure,$(REEF_LIBS))) env_fake,$(REEF_LIB_ORDER))
UT_LIB_FILES := $(UT_LIBS:%=$(LIB_DIR)/libreef_%_ut.a)

all: $(TEST_BIN)

$(TEST_BIN): $(OBJDIR)/$(TEST_FILE:.c=.o) $(UT_LIB_FILES)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK $(notdir $@)")
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(UT_LIB_FILES) $(shell pkg-config --libs $(PKG_CUNIT)) $(DPDK_LIBS) -lm

$(eval $(call reef_compile_rule,$(OBJDIR),-DREEF_UNIT_TEST -DREEF_CONFIG_USDT=0 -I$(REEF_ROOT)/lib -I$(REEF_ROOT)/test/common $(shell pkg-config --cflags $(PKG_CUNIT))))

-include $(wildcard $(OBJDIR)/*.d)

clean:
	rm -rf $(OBJDIR) $(TEST_BIN)

.PHONY: all clean
