# schemalink — plain, non-recursive GNU make.
#
#   make               build bin/slctl, bin/schemalinkd, bin/srlite
#   make deps          install the Debian build and test dependencies when missing
#   make test          unit (cmocka) + golden + e2e tests; last line "N passed, N failed"
#                      (T_JOBS=N suites at once, default nproc + 2; T_JOBS=1 one by one)
#   make test-slow     slow fault and soak cases
#   make torture       fail the Nth allocation of each scenario, for every N (ASan)
#   make asan          the same tests built with ASan + UBSan
#   make valgrind      unit tests and e2e binaries under valgrind
#   make coverage      line-coverage summary of the unit tests
#   make format / format-check / install / clean / bench / update-golden
#
# BUILD (object dir) and BINDIR may be overridden, e.g. make BUILD=/tmp/b BINDIR=/tmp/b/bin.

SHELL      := /bin/bash
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:

VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
BUILD      ?= build
BINDIR     ?= bin

CC         ?= cc
PKGS       := yaml-0.1 libcurl jansson libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN       := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla -fno-common
OPT        ?= -O2 -g
SAN        ?=
CPPFLAGS   += -Iinclude -D_GNU_SOURCE -DSL_VERSION=\"$(VERSION)\"
CFLAGS     += -std=c11 $(OPT) $(WARN) $(SAN) $(PKG_CFLAGS) -MMD -MP
LDFLAGS    += $(SAN)
LDLIBS     += $(PKG_LIBS) -lpthread -lm

# Areas in link order: an area may use only those after it (docs/internals/architecture.md
# "Areas and link order"; checked by tests/e2e/code_symbols.sh).
AREAS      := controller srlite engine manifest srclient httpd model base
define area_rules
SRC_$(1)   := $$(sort $$(wildcard pkg/$(1)/*.c))
OBJ_$(1)   := $$(SRC_$(1):%.c=$(BUILD)/%.o)
LIB_$(1)   := $$(if $$(SRC_$(1)),$(BUILD)/lib/libsl_$(1).a)
$(BUILD)/lib/libsl_$(1).a: $$(OBJ_$(1))
	@mkdir -p $$(@D)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach a,$(AREAS),$(eval $(call area_rules,$(a))))
LIBS       := $(foreach a,$(AREAS),$(LIB_$(a)))

PROGS      := slctl schemalinkd srlite
BINS       := $(PROGS:%=$(BINDIR)/%)
define prog_rules
SRC_cmd_$(1) := $$(sort $$(wildcard cmd/$(1)/*.c))
OBJ_cmd_$(1) := $$(SRC_cmd_$(1):%.c=$(BUILD)/%.o)
$(BINDIR)/$(1): $$(OBJ_cmd_$(1)) $(LIBS)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$(OBJ_cmd_$(1)) $(LIBS) $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rules,$(p))))

UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
UNIT_HELP  := $(filter-out $(UNIT_SRC),$(sort $(wildcard tests/unit/*.c)))
UNIT_HOBJ  := $(UNIT_HELP:%.c=$(BUILD)/%.o)
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(UNIT_HOBJ) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(UNIT_HOBJ) $(LIBS) $(LDLIBS) -lcmocka

ALL_OBJ    := $(foreach a,$(AREAS),$(OBJ_$(a))) $(foreach p,$(PROGS),$(OBJ_cmd_$(p))) \
              $(UNIT_SRC:%.c=$(BUILD)/%.o) $(UNIT_HOBJ)
$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<
-include $(ALL_OBJ:.o=.d)

.PHONY: all deps test test-slow unit check asan tsan valgrind coverage format format-check \
        install uninstall clean bench update-golden demo fuzz
all: $(BINS)
unit: $(UNIT_BINS)

deps:
	@scripts/deps.sh

# The runner builds nothing itself: it runs what these targets made.
test: deps
	@$(MAKE) --no-print-directory all unit
	@BUILD=$(BUILD) BINDIR=$(BINDIR) tests/run.sh
check: test

test-slow: deps
	@$(MAKE) --no-print-directory all unit
	@BUILD=$(BUILD) BINDIR=$(BINDIR) tests/run.sh --slow

SANFLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan BINDIR=build-asan/bin OPT="-O1 -g" \
	  SAN="$(SANFLAGS)" all unit
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  BUILD=build-asan BINDIR=build-asan/bin tests/run.sh

tsan: deps
	@$(MAKE) --no-print-directory BUILD=build-tsan BINDIR=build-tsan/bin OPT="-O1 -g" \
	  SAN="-fsanitize=thread" all unit
	@TSAN_OPTIONS=halt_on_error=1 BUILD=build-tsan BINDIR=build-tsan/bin tests/run.sh --tsan

valgrind: deps
	@$(MAKE) --no-print-directory BUILD=build-vg BINDIR=build-vg/bin OPT="-O0 -g" all unit
	@BUILD=build-vg BINDIR=build-vg/bin tests/run.sh --valgrind

coverage: deps
	@rm -rf build-cov
	@$(MAKE) --no-print-directory BUILD=build-cov BINDIR=build-cov/bin OPT="-O0 -g" \
	  SAN="--coverage" all unit
	@BUILD=build-cov BINDIR=build-cov/bin tests/run.sh
	@scripts/coverage.sh build-cov

bench: deps all
	@BUILD=$(BUILD) BINDIR=$(BINDIR) scripts/bench.sh

demo: deps all
	@BINDIR=$(BINDIR) scripts/demo.sh

update-golden: all
	@BINDIR=$(BINDIR) UPDATE_GOLDEN=1 tests/golden/run.sh

FMT_SRC = $(shell git ls-files -co --exclude-standard '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FMT_SRC)
format-check:
	clang-format --dry-run --Werror $(FMT_SRC)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 man/slctl.1 man/srlite.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/schemalinkd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	for p in $(PROGS); do \
	  install -m 0644 completion/$$p.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$p \
	    || exit 1; \
	done
uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(PREFIX)/bin/%)
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/slctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/srlite.1 \
	  $(DESTDIR)$(PREFIX)/share/man/man8/schemalinkd.8
	rm -f $(PROGS:%=$(DESTDIR)$(PREFIX)/share/bash-completion/completions/%)

clean:
	rm -rf build build-asan build-tsan build-vg build-cov build-fuzz bin

# ---- fuzz: libFuzzer harnesses (docs/internals/architecture.md "Testing layers", 4) ----------------------
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="manifest avro"]
#
# Builds tests/fuzz/fuzz_<name>.c into build-fuzz/fuzz_<name> with clang and
# -fsanitize=fuzzer,address,undefined, linked against the pkg libraries rebuilt by the rules
# above with CC=clang BUILD=build-fuzz SAN=-fsanitize=fuzzer-no-link,..., then runs each one
# for FUZZ_SECONDS from its seed corpus tests/fuzz/corpus/<name>/, which it only reads: new
# inputs go to build-fuzz/corpus/<name>/ (kept between runs), so the tree stays clean. A
# libFuzzer-format dictionary tests/fuzz/<name>.dict is used when present. A crash leaves its
# input in build-fuzz/artifacts/<name>/ and makes the target fail after every harness has
# run; keep it in tests/fuzz/regressions/<name>/ once fixed (tests/unit/test_fuzz_regressions.c).
FUZZ_SECONDS  ?= 60
FUZZ_DIR      := build-fuzz
FUZZ_SAN      := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
                 -fno-omit-frame-pointer
FUZZ_NAMES    := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_TARGETS  ?= $(FUZZ_NAMES)
# Longest input per harness: a few manifests' worth of YAML; registry answers and schemas.
FUZZ_MAXLEN_manifest := 16384
FUZZ_MAXLEN_srclient := 8192
FUZZ_MAXLEN_avro     := 8192
FUZZ_RUNS      = $(foreach n,$(FUZZ_TARGETS),$(n):$(or $(FUZZ_MAXLEN_$(n)),4096))
FUZZ_OBJ      := $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz_%.o)
-include $(FUZZ_OBJ:.o=.d)

# Runs inside the sub-make below, where BUILD=build-fuzz and CC=clang.
$(BUILD)/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(LIBS)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIBS) $(LDLIBS)
fuzz-build: $(FUZZ_NAMES:%=$(BUILD)/fuzz_%)

fuzz: deps
	@$(MAKE) --no-print-directory CC=clang BUILD=$(FUZZ_DIR) BINDIR=$(FUZZ_DIR)/bin \
	  OPT="-O1 -g" SAN="$(FUZZ_SAN)" fuzz-build
	@failed=""; \
	for nm in $(FUZZ_RUNS); do \
	  n=$${nm%%:*}; maxlen=$${nm##*:}; \
	  mkdir -p $(FUZZ_DIR)/corpus/$$n $(FUZZ_DIR)/artifacts/$$n; \
	  echo "== fuzz_$$n: $(FUZZ_SECONDS) s"; \
	  dict=""; [ -f tests/fuzz/$$n.dict ] && dict="-dict=tests/fuzz/$$n.dict"; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(FUZZ_DIR)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -max_len=$$maxlen \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $$dict \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/$$n/ \
	    $(FUZZ_DIR)/corpus/$$n tests/fuzz/corpus/$$n || failed="$$failed $$n"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: crashes in:$$failed (see $(FUZZ_DIR)/artifacts)"; exit 1; fi
.PHONY: fuzz-build

# ---- torture: fail the Nth allocation, for every N (tests/torture/torture.h) ---------------
#
#   make torture [TORTURE_ARGS="-s engine -n 17 -v"] [TORTURE_SAN=] [TORTURE_DIR=dir]
#
# Builds tests/torture/*.c and the pkg libraries into $(TORTURE_DIR) (default build-torture)
# with ASan and UBSan (TORTURE_SAN= for a plain build), links the scenarios with --wrap for
# each allocating call pkg/ makes (nm -u build/lib/*.a) so that they reach the counting
# allocator of tests/torture/alloc.c, and runs them from the top of the tree: each scenario
# once to count its K allocations, then once for each N = 1..K with allocation N failing
# (tests/torture/driver.c). Two runs at a time (TORTURE_JOBS). Last line "N passed, N failed".
TORTURE_DIR   ?= build-torture
TORTURE_SAN   ?= $(SANFLAGS)
TORTURE_ARGS  ?=
TORTURE_WRAP  := malloc calloc realloc free strdup strndup asprintf vasprintf realpath opendir \
                 closedir json_loads json_loadb json_dumps
TORTURE_SRC   := $(sort $(wildcard tests/torture/*.c))
# slctl but its main(), for the slctl scenario (whose hook takes --observed's place).
TORTURE_OBJ   := $(TORTURE_SRC:%.c=$(BUILD)/%.o) $(filter-out %/main.o,$(OBJ_cmd_slctl))
TORTURE_WRAP  += slctl_observed_transport
-include $(TORTURE_OBJ:.o=.d)

$(BUILD)/tests/torture/torture: $(TORTURE_OBJ) $(LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(TORTURE_WRAP:%=-Wl,--wrap=%) -o $@ $(TORTURE_OBJ) $(LIBS) $(LDLIBS) \
	  -lcmocka
torture-build: $(BUILD)/tests/torture/torture

torture: deps
	@$(MAKE) --no-print-directory BUILD=$(TORTURE_DIR) BINDIR=$(TORTURE_DIR)/bin OPT="-O1 -g" \
	  SAN="$(TORTURE_SAN)" torture-build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(TORTURE_DIR)/tests/torture/torture $(TORTURE_ARGS)

torture-clean:
	rm -rf $(TORTURE_DIR)
clean: torture-clean
.PHONY: torture torture-build torture-clean
