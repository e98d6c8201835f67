# Glance v1 image service in C++.  `make` builds every program into bin/.
# Parallel by default; header dependencies are tracked with -MMD.

ifeq ($(MAKELEVEL),0)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif
MAKEFLAGS += --no-print-directory

CXX      ?= g++
BUILD    ?= build
BIN      ?= bin
PREFIX   ?= /usr
DESTDIR  ?=

PKGS      := cpp-httplib nlohmann_json openssl libpq libsystemd
CPPFLAGS  += -DBOOST_TEST_DYN_LINK -Iinclude -I$(BUILD)/gen -I/usr/include/postgresql $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CXXFLAGS  ?= -O2 -g
CXXFLAGS  += -std=c++20 -Wall -Wextra -Werror -pthread -MMD -MP
LDLIBS    += -lfcgi -lsoci_postgresql -lsoci_core -lboost_program_options \
             $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread -ldl

# One static library holds every module; each program is a thin main.
CORE_SRCS := $(wildcard src/common/*.cc src/image/*.cc src/db/*.cc src/registry/*.cc src/store/*.cc src/api/*.cc src/scrubber/*.cc)
CORE_OBJS := $(CORE_SRCS:%.cc=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
CORE_LIB  := $(BUILD)/libglance_core.a

PROGRAMS := glance-api glance-registry glance-manage glance-scrubber
glance-api_MAIN      := src/tools/api_main.cc
glance-registry_MAIN := src/tools/registry_main.cc
glance-manage_MAIN   := src/tools/manage_main.cc
glance-scrubber_MAIN := src/tools/scrubber_main.cc
PROGRAM_BINS := $(PROGRAMS:%=$(BIN)/%)

UNIT_SRCS := $(wildcard test/unit/*.cc)
INTEG_SRCS := $(wildcard test/integration/*.cc)
UNIT_TESTS := $(BUILD)/test/unit_tests
INTEG_TESTS := $(BUILD)/test/integration_tests
E2E_SRCS := $(wildcard test/e2e/*.cc)
E2E_TESTS := $(BUILD)/test/e2e_tests
TEST_LDLIBS := -lboost_unit_test_framework

.PHONY: all deps test run start stop clean install asan check-tests bench deb
all: $(PROGRAM_BINS)

deps:
	@scripts/install-deps

# V=1 shows the full command lines.
Q := $(if $(V),,@)

$(BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	@echo "  CXX   $<"
	$(Q)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

# Migrations are compiled into the binaries so an installed glance-manage
# needs no data files beside it.
$(BUILD)/gen/migrations.cc: $(sort $(wildcard sql/*.sql)) scripts/embed-migrations
	@mkdir -p $(dir $@)
	scripts/embed-migrations $(sort $(wildcard sql/*.sql)) > $@

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.cc
	@echo "  CXX   $<"
	$(Q)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	@echo "  AR    $@"
	$(Q)ar rcs $@ $^

$(BIN):
	@mkdir -p $@

define program_rule
$(BIN)/$(1): $(BUILD)/$($(1)_MAIN:.cc=.o) $(CORE_LIB) | $(BIN)
	@echo "  LD    $$@"
	$$(Q)$$(CXX) $$(CXXFLAGS) $$^ -o $$@ $$(LDFLAGS) $$(LDLIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rule,$(p))))

$(UNIT_TESTS): $(UNIT_SRCS:%.cc=$(BUILD)/%.o) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS) $(TEST_LDLIBS) $(LDLIBS)

$(INTEG_TESTS): $(INTEG_SRCS:%.cc=$(BUILD)/%.o) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS) $(TEST_LDLIBS) $(LDLIBS)

TEST_BINARIES := $(UNIT_TESTS) $(if $(INTEG_SRCS),$(INTEG_TESTS)) $(if $(E2E_SRCS),$(E2E_TESTS))
$(E2E_TESTS): $(E2E_SRCS:%.cc=$(BUILD)/%.o) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS) $(TEST_LDLIBS) $(LDLIBS)

check-tests: all $(TEST_BINARIES)

# The whole suite: installs what is missing, starts the private PostgreSQL,
# runs every test binary, then the package test (builds, installs, serves
# and purges the .debs where the machine allows it; it says when it skips),
# and prints one "N passed, N failed" line.
PACKAGE_TEST := test/package/run
test:
	@scripts/install-deps
	@$(MAKE) check-tests
	@scripts/run-tests $(TEST_BINARIES) $(PACKAGE_TEST)

# AddressSanitizer + UBSan build in its own tree; `make asan test` style use:
#   make asan        builds and runs the whole suite under the sanitizers.
asan:
	@scripts/install-deps
	@$(MAKE) BUILD=build/asan BIN=build/asan/bin \
	  CXXFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined -fno-sanitize=vptr" check-tests
	@GLANCE_BIN_DIR=$(CURDIR)/build/asan/bin ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 \
	  scripts/run-tests $(subst $(BUILD)/,build/asan/,$(TEST_BINARIES))

run:
	@scripts/install-deps
	@$(MAKE) all
	@scripts/stack run

start:
	@scripts/install-deps
	@$(MAKE) all
	@scripts/stack start

stop:
	@scripts/stack stop

# Benchmarks beside same-run nginx baselines; prints a Markdown table.
bench:
	@scripts/install-deps
	@$(MAKE) all
	@scripts/bench

# Debian packages in build/deb/ (scripts/package/debian), checked by lintian.
deb:
	@scripts/install-deps
	@scripts/build-deb

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/glance $(DESTDIR)$(PREFIX)/share/glance-cpp/nginx
	install -m 0755 $(PROGRAM_BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0640 etc/glance-api.conf etc/glance-registry.conf $(DESTDIR)/etc/glance/
	install -m 0644 nginx/glance-api.conf.in nginx/glance-image-headers.js \
	  $(DESTDIR)$(PREFIX)/share/glance-cpp/nginx/

clean:
	rm -rf $(BUILD) $(BIN)

# build/deb holds the package build's own copy of the tree: not ours.
-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -type f -name '*.d' -print 2>/dev/null)
