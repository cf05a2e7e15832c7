# Build one program from an app/<name>/ directory.
#
# Required: APP (the program name) and C_SRCS. REEF_LIBS names the Reef libraries
# the program calls directly (their dependencies come from reef.lib_deps.mk);
# SYS_PKGS names pkg-config packages beyond DPDK; SYS_LIBS adds raw linker flags.
# APP_DIR (default bin/) is where the program goes.

ifndef APP
$(error APP is not set: an app Makefile must name its program)
endif
ifndef C_SRCS
$(error C_SRCS is not set: an app Makefile must list its sources)
endif

include $(REEF_ROOT)/mk/reef.common.mk

# Test and benchmark programs set APP_DIR to keep out of bin/.
APP_DIR ?= $(BIN_DIR)
OBJDIR := $(OBJ_ROOT)/$(patsubst $(REEF_ROOT)/%,%,$(CURDIR))
APP_BIN := $(APP_DIR)/$(APP)
APP_LIBS := $(call reef_link_order,$(REEF_LIBS))
APP_LIB_FILES := $(APP_LIBS:%=$(LIB_DIR)/libreef_%.a)
PKG_CFLAGS := $(if $(SYS_PKGS),$(shell pkg-config --cflags $(SYS_PKGS)))
PKG_LIBS := $(if $(SYS_PKGS),$(shell pkg-config --libs $(SYS_PKGS)))

all: $(APP_BIN)

$(APP_BIN): $(C_SRCS:%.c=$(OBJDIR)/%.o) $(APP_LIB_FILES)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK $(notdir $@)")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(APP_LIB_FILES) $(PKG_LIBS) $(DPDK_LIBS) $(SYS_LIBS) -lm

$(eval $(call reef_compile_rule,$(OBJDIR),$(PKG_CFLAGS) $(CFLAGS_USDT) $(SRC_CFLAGS)))

-include $(wildcard $(OBJDIR)/*.d)

clean:
	rm -rf $(OBJDIR) $(APP_BIN)

.PHONY: all clean
