# make install / make uninstall (PREFIX, default /usr/local; DESTDIR for staging).

PREFIX ?= /usr/local
DESTDIR ?=
INST_BIN := $(DESTDIR)$(PREFIX)/bin
INST_LIB := $(DESTDIR)$(PREFIX)/lib
INST_INC := $(DESTDIR)$(PREFIX)/include/reef
INST_MAN := $(DESTDIR)$(PREFIX)/share/man/man1
INST_DATA := $(DESTDIR)$(PREFIX)/share/reef
INST_PC := $(INST_LIB)/pkgconfig

SO_VERSION := $(REEF_VERSION)
SO_MAJOR := $(firstword $(subst ., ,$(REEF_VERSION)))
INSTALL_PROGRAMS := reefd reef-post reef-top reef-trace
INSTALL_HEADERS := $(notdir $(wildcard $(REEF_ROOT)/include/reef/*.h))
INSTALL_MAN := $(notdir $(wildcard $(REEF_ROOT)/doc/man/*.1))
INSTALL_BPF := $(notdir $(wildcard $(REEF_ROOT)/tools/bpf/*.bt))

install: all
	$(Q)install -d $(INST_BIN) $(INST_LIB) $(INST_INC) $(INST_MAN) $(INST_PC) $(INST_DATA)/bpf
	$(Q)install -m 0644 $(addprefix $(REEF_ROOT)/include/reef/,$(INSTALL_HEADERS)) $(INST_INC)/
	$(Q)install -m 0644 $(LIB_DIR)/libreef.a $(INST_LIB)/
	$(Q)install -m 0755 $(LIB_DIR)/libreef.so.$(SO_VERSION) $(INST_LIB)/
	$(Q)ln -sf libreef.so.$(SO_VERSION) $(INST_LIB)/libreef.so.$(SO_MAJOR)
	$(Q)ln -sf libreef.so.$(SO_MAJOR) $(INST_LIB)/libreef.so
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(PREFIX)/lib|' \
		-e 's|@VERSION@|$(REEF_VERSION)|' -e 's|@DPDK_LIBS@|$(DPDK_LIBS)|' \
		$(REEF_ROOT)/lib/reef.pc.in >$(INST_PC)/reef.pc
	$(Q)for p in $(INSTALL_PROGRAMS); do \
		if [ -x $(BIN_DIR)/$$p ]; then install -m 0755 $(BIN_DIR)/$$p $(INST_BIN)/; fi; done
	$(Q)install -m 0644 $(addprefix $(REEF_ROOT)/doc/man/,$(INSTALL_MAN)) $(INST_MAN)/
	$(Q)if [ -n "$(INSTALL_BPF)" ]; then \
		install -m 0644 $(addprefix $(REEF_ROOT)/tools/bpf/,$(INSTALL_BPF)) $(INST_DATA)/bpf/; fi
	$(Q)if [ -f $(REEF_ROOT)/tools/bpftrace.sh ]; then \
		install -m 0755 $(REEF_ROOT)/tools/bpftrace.sh $(INST_BIN)/reef-bpftrace; fi
	@echo "installed Reef $(REEF_VERSION) under $(DESTDIR)$(PREFIX)"

uninstall:
	$(Q)rm -f $(addprefix $(INST_INC)/,$(INSTALL_HEADERS)) $(INST_LIB)/libreef.a \
		$(INST_LIB)/libreef.so.$(SO_VERSION) $(INST_LIB)/libreef.so.$(SO_MAJOR) \
		$(INST_LIB)/libreef.so $(INST_PC)/reef.pc $(addprefix $(INST_BIN)/,$(INSTALL_PROGRAMS)) \
		$(INST_BIN)/reef-bpftrace $(addprefix $(INST_MAN)/,$(INSTALL_MAN)) \
		$(addprefix $(INST_DATA)/bpf/,$(INSTALL_BPF))
	$(Q)rmdir $(INST_INC) $(INST_DATA)/bpf $(INST_DATA) 2>/dev/null || true
	@echo "uninstalled Reef from $(DESTDIR)$(PREFIX)"

.PHONY: install uninstall
