# Settings shared by every Reef Makefile. Include it first; it needs REEF_ROOT.
#
# Knobs (command line or environment):
#   SANITIZE=1      build with ASan+UBSan into build-san/ (so both builds coexist)
#   CONFIG_USDT=n   compile the USDT probes out
#   DEBUG=1         -O0, assertions on
#   V=1             show full commands

ifndef REEF_ROOT
$(error REEF_ROOT must be set before including reef.common.mk)
endif

SANITIZE ?=
CONFIG_USDT ?= y
DEBUG ?=

ifeq ($(SANITIZE),1)
BUILD_DIR ?= $(REEF_ROOT)/build-san
else
BUILD_DIR ?= $(REEF_ROOT)/build
endif

LIB_DIR := $(BUILD_DIR)/lib
BIN_DIR := $(BUILD_DIR)/bin
OBJ_ROOT := $(BUILD_DIR)/obj
TEST_BIN_DIR := $(BUILD_DIR)/test

CC ?= cc
AR ?= ar

PKG_DPDK := libdpdk
PKG_NCURSES := ncursesw
PKG_BPF := libbpf
PKG_CUNIT := cunit

REEF_VERSION := $(shell cat $(REEF_ROOT)/VERSION 2>/dev/null)

CFLAGS_WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-prototypes \
	-Wstrict-prototypes -Wshadow -Wformat=2 -Wformat-truncation=0
CFLAGS_BASE := -std=gnu11 -g -fPIC -pthread -D_GNU_SOURCE -I$(REEF_ROOT)/include \
	-DREEF_VERSION_STRING='"$(REEF_VERSION)"'

ifeq ($(DEBUG),1)
CFLAGS_OPT := -O0
else
CFLAGS_OPT := -O2 -DNDEBUG
endif

ifeq ($(SANITIZE),1)
CFLAGS_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS_SAN := -fsanitize=address,undefined
# The sanitizers need every assertion to fire to be worth it.
CFLAGS_OPT := -O1
endif

ifeq ($(CONFIG_USDT),y)
CFLAGS_USDT := -DREEF_CONFIG_USDT=1
else
CFLAGS_USDT := -DREEF_CONFIG_USDT=0
endif

CFLAGS := $(CFLAGS_BASE) $(CFLAGS_OPT) $(CFLAGS_WARN) $(CFLAGS_SAN) $(EXTRA_CFLAGS)
LDFLAGS := -pthread $(LDFLAGS_SAN) $(EXTRA_LDFLAGS)

DPDK_CFLAGS = $(shell pkg-config --cflags $(PKG_DPDK))
DPDK_LIBS = $(shell pkg-config --libs $(PKG_DPDK))

ifeq ($(V),1)
Q :=
else
Q := @
endif

# The compile rule shared by libraries, apps and tests. Expand it with
# $(eval $(call reef_compile_rule,OBJDIR,EXTRA_CFLAGS)) after setting the sources.
define reef_compile_rule
$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  CC $$(subst $$(REEF_ROOT)/,,$$(abspath $$<))$(3)")
	$$(Q)$$(CC) $$(CFLAGS) $(2) -MMD -MP -c $$< -o $$@
endef

include $(REEF_ROOT)/mk/reef.lib_deps.mk

# All Reef libraries a program needs, in link order, from the libraries it names.
reef_closure = $(sort $(1) $(foreach l,$(1),$(call reef_closure,$(DEPDIRS-$(l)))))
reef_link_order = $(filter $(call reef_closure,$(1)),$(REEF_LIB_ORDER))
