# blockwatch: find goroutines and threads that wait forever, from outside.
#
#   make            build ./blockwatch
#   make demo       install what is needed, build, run on a bundled leaking target
#   make check      install what is needed, build, run every test (unit + integration)
#   make unit       cmocka unit tests only (no root), under ASan + UBSan
#   make integration  root-only tests against real processes
#   make install    PREFIX=/usr/local DESTDIR= (also SBINDIR MANDIR SYSTEMDDIR ...; see install:)
#   make uninstall  the same variables
#   V=1             show the commands

OUTPUT    := build
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= gcc
ARCH      := x86
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Debian's zsh reads vendor-completions under /usr, site-functions under /usr/local
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/$(if $(filter /usr,$(PREFIX)),vendor-completions,site-functions)
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

PKGS      := libbpf libelf libdw zlib libmicrohttpd json-c ncursesw capstone
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARNINGS  := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS    ?= -g -O2
ALL_CFLAGS := $(CFLAGS) $(CPPFLAGS) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer \
	-DBW_VERSION='"$(VERSION)"' -Iinclude -Iuser -I$(OUTPUT) $(PKG_CFLAGS)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# v3: atomic exchange (a wait is ended by whoever takes its start first)
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Iinclude -Ivmlinux/$(ARCH) -Ibpf

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(BPF_SRCS:bpf/%.bpf.c=$(OUTPUT)/bpf/%.bpf.o)
SKELS     := $(BPF_SRCS:bpf/%.bpf.c=$(OUTPUT)/%.skel.h)
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(USER_SRCS:user/%.c=$(OUTPUT)/user/%.o)
LIB_OBJS  := $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS))
SAN_OBJS  := $(LIB_OBJS:$(OUTPUT)/user/%.o=$(OUTPUT)/san/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OUTPUT)/unit/%)

.DELETE_ON_ERROR:
.PHONY: all deps demo check unit integration format format-check headers-check \
	fuzz fuzz-smoke bench install uninstall clean

all: blockwatch

deps:
	$(Q)scripts/install-deps.sh

# ---- BPF: object, linked object (no DWARF), skeleton ----
$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen object $(OUTPUT)/bpf/$*.linked.o $<
	$(Q)$(BPFTOOL) gen skeleton $(OUTPUT)/bpf/$*.linked.o name $* > $@

# ---- userspace ----
$(OUTPUT)/user/%.o: user/%.c | $(OUTPUT)/user $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/libblockwatch.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

blockwatch: $(OUTPUT)/user/main.o $(OUTPUT)/libblockwatch.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) $^ $(PKG_LIBS) -lm -o $@

# The same modules under AddressSanitizer + UBSan, for unit tests and
# for the sanitized integration run (blockwatch-san).
$(OUTPUT)/san/%.o: user/%.c | $(OUTPUT)/san $(SKELS)
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(OUTPUT)/libblockwatch-san.a: $(SAN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/blockwatch-san: $(OUTPUT)/san/main.o $(OUTPUT)/libblockwatch-san.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) $^ $(PKG_LIBS) -lm -o $@

$(OUTPUT)/unit/%: tests/unit/%.c $(OUTPUT)/libblockwatch-san.a | $(OUTPUT)/unit
	$(call msg,UNIT,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -MMD -MP -Itests/unit $< \
		$(OUTPUT)/libblockwatch-san.a $(PKG_LIBS) -lcmocka -lm -o $@

$(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/san $(OUTPUT)/unit:
	$(Q)mkdir -p $@

# ---- tests ----
unit: $(UNIT_BINS)
	$(Q)scripts/fetch-go-binaries.sh
	$(Q)scripts/run-unit.sh $(UNIT_BINS)

integration: blockwatch $(OUTPUT)/blockwatch-san
	$(Q)tests/integration/run.sh

# libFuzzer harnesses of the parsers (tests/fuzz/): crash regressions replayed, then each
# harness fuzzed FUZZ_SECONDS (fuzz-smoke, in check: 15 s; fuzz: 600 s).
fuzz:
	$(Q)scripts/fuzz.sh run

fuzz-smoke:
	$(Q)scripts/fuzz.sh smoke

headers-check:
	$(Q)for h in include/blockwatch/*.h user/*.h; do \
		printf '#include "%s"\n' "$${h#*/}" | $(CC) $(ALL_CFLAGS) -Iinclude -Iuser \
			-fsyntax-only -x c - || { echo "header does not compile alone: $$h"; exit 1; }; \
	done

FORMAT_SRCS = $(wildcard user/*.c user/*.h include/blockwatch/*.h bpf/*.c bpf/*.h \
	tests/unit/*.c tests/targets/*.c tests/fuzz/*.c)

format:
	$(Q)clang-format -i $(FORMAT_SRCS)

format-check:
	$(Q)clang-format --dry-run -Werror $(FORMAT_SRCS)

check: deps
	$(Q)$(MAKE) --no-print-directory format-check
	$(Q)$(MAKE) --no-print-directory all headers-check
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	$(Q)$(MAKE) --no-print-directory integration

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

bench: all
	$(Q)scripts/bench.sh

# The unit names the binary where it is installed; the settings file is never overwritten.
install: blockwatch
	install -D -m 0755 blockwatch $(DESTDIR)$(SBINDIR)/blockwatch
	install -D -m 0644 doc/blockwatch.8 $(DESTDIR)$(MANDIR)/man8/blockwatch.8
	install -D -m 0644 completion/blockwatch.bash $(DESTDIR)$(BASHCOMPDIR)/blockwatch
	install -D -m 0644 completion/_blockwatch $(DESTDIR)$(ZSHCOMPDIR)/_blockwatch
	install -d $(DESTDIR)$(SYSTEMDDIR)
	sed 's|/usr/sbin/blockwatch|$(SBINDIR)/blockwatch|' deploy/blockwatch.service \
		> $(DESTDIR)$(SYSTEMDDIR)/blockwatch.service
	chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/blockwatch.service
	test -e $(DESTDIR)$(SYSCONFDIR)/default/blockwatch || \
		install -D -m 0644 deploy/blockwatch.default $(DESTDIR)$(SYSCONFDIR)/default/blockwatch

# Leaves $(SYSCONFDIR)/default/blockwatch: it holds the admin's settings.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/blockwatch $(DESTDIR)$(MANDIR)/man8/blockwatch.8 \
		$(DESTDIR)$(BASHCOMPDIR)/blockwatch $(DESTDIR)$(ZSHCOMPDIR)/_blockwatch \
		$(DESTDIR)$(SYSTEMDDIR)/blockwatch.service

clean:
	$(Q)rm -rf $(OUTPUT) blockwatch

-include $(wildcard $(OUTPUT)/bpf/*.d $(OUTPUT)/user/*.d $(OUTPUT)/san/*.d $(OUTPUT)/unit/*.d)
