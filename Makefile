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
# Debian's hardening flags by default, the same dpkg-buildflags gives the
# package build, so the package test may reuse this build (scripts/build-deb).
CXXFLAGS  ?= -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2 -Wformat -Werror=format-security
LDFLAGS   ?= -Wl,-z,relro -Wl,-z,now
CXXFLAGS  += -Wall -Wextra -Werror
# The language and the dependency files also for builds that set CXXFLAGS
# on the command line (the sanitizer tree): without them it compiled as
# C++17 and never rebuilt an object whose headers had changed.
override CXXFLAGS += -std=c++20 -pthread -MMD -MP
LDLIBS    += -lfcgi -lsoci_postgresql -lsoci_core -lboost_program_options \
             $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread -ldl

# One static library holds every module; each program is a thin main.
CORE_SRCS := $(wildcard src/common/*.cc src/image/*.cc src/db/*.cc src/registry/*.cc src/store/*.cc src/api/*.cc src/auth/*.cc src/scrubber/*.cc)
CORE_OBJS := $(CORE_SRCS:%.cc=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
CORE_LIB  := $(BUILD)/libglance_core.a

PROGRAMS := glance-api glance-registry glance-manage glance-scrubber glance-cache-manage
glance-api_MAIN      := src/tools/api_main.cc
glance-registry_MAIN := src/tools/registry_main.cc
glance-manage_MAIN   := src/tools/manage_main.cc
glance-scrubber_MAIN := src/tools/scrubber_main.cc
glance-cache-manage_MAIN := src/tools/cache_manage_main.cc
PROGRAM_BINS := $(PROGRAMS:%=$(BIN)/%)

UNIT_SRCS := $(wildcard test/unit/*.cc)
# The fuzz targets' checks also run in the unit tests, over every kept input.
FUZZ_SRCS := $(wildcard test/fuzz/*_fuzz.cc)
INTEG_SRCS := $(wildcard test/integration/*.cc)
# The plumbing the integration and end-to-end tests share (HTTP client,
# processes, files): compiled once, linked into both.
SUPPORT_OBJS := $(patsubst %.cc,$(BUILD)/%.o,$(wildcard test/support/*.cc))
UNIT_TESTS := $(BUILD)/test/unit_tests
INTEG_TESTS := $(BUILD)/test/integration_tests
E2E_SRCS := $(wildcard test/e2e/*.cc)
E2E_TESTS := $(BUILD)/test/e2e_tests
TEST_LDLIBS := -lboost_unit_test_framework

.PHONY: all deps test run start stop clean install asan asan-build check-tests bench soak fuzz fuzz-targets deb scale-test
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

$(FUZZ_SRCS:%.cc=$(BUILD)/%.o): CPPFLAGS += -DGLANCE_FUZZ_REPLAY
$(BUILD)/test/unit/fuzz_replay_test.o: CPPFLAGS += -DGLANCE_FUZZ_DIR='"$(CURDIR)/test/fuzz"'

$(UNIT_TESTS): $(UNIT_SRCS:%.cc=$(BUILD)/%.o) $(FUZZ_SRCS:%.cc=$(BUILD)/%.o) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS) $(TEST_LDLIBS) $(LDLIBS)

$(INTEG_TESTS): $(INTEG_SRCS:%.cc=$(BUILD)/%.o) $(SUPPORT_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS) $(TEST_LDLIBS) $(LDLIBS)

TEST_BINARIES := $(UNIT_TESTS) $(if $(INTEG_SRCS),$(INTEG_TESTS)) $(if $(E2E_SRCS),$(E2E_TESTS))
$(E2E_TESTS): $(E2E_SRCS:%.cc=$(BUILD)/%.o) $(SUPPORT_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	@echo "  LD    $@"
	$(Q)$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS) $(TEST_LDLIBS) $(LDLIBS)

check-tests: all $(TEST_BINARIES)

# Sanitizer build in its own tree.  -O0 keeps it fast to build (at -O1 the
# SOCI and JSON templates take four times as long); the suite is I/O-bound
# enough that the slower code costs little.
ASAN_CXXFLAGS := -O0 -g1 -fsanitize=address,undefined -fno-sanitize=vptr \
                 -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ASAN_LDFLAGS  := -fsanitize=address,undefined -fno-sanitize=vptr
ASAN_TEST_BINARIES := $(subst $(BUILD)/,build/asan/,$(TEST_BINARIES))
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1

asan-build:
	@$(MAKE) BUILD=build/asan BIN=build/asan/bin CXXFLAGS="$(ASAN_CXXFLAGS)" \
	  LDFLAGS="$(ASAN_LDFLAGS)" check-tests

# The e2e suites that move image data, run a second time (release build
# only) with every stack on the Swift store (GLANCE_E2E_STORE=swift); they
# report as swift-e2e_tests.  The swift_store suite itself runs in both
# halves.
SWIFT_E2E_SUITES := upload,download,delete_image,v2_data,upload_faults,external_sources,v2_cross_api,v2_delete,tenancy_matrix,tenancy_matrix_v2
SWIFT_E2E_RUN := $(if $(E2E_SRCS),--env GLANCE_E2E_STORE=swift --run-test $(SWIFT_E2E_SUITES) --label swift $(E2E_TESTS))

# The whole suite: installs what is missing, starts the private PostgreSQL,
# runs every test binary on the release build, then the e2e data suites on
# the Swift store, then the package test
# (builds, installs, serves and purges the .debs where the machine allows it;
# it says when it skips), the scale-out test, then every test binary again on the ASan+UBSan
# build (daemons included), and prints one "N passed, N failed" line.
PACKAGE_TEST := test/package/run
# Several hosts in network namespaces (root only; it says when it skips).
SCALE_TEST := test/scale/run
test:
	@scripts/install-deps
	@$(MAKE) check-tests
	@$(MAKE) asan-build
	@$(ASAN_ENV) GLANCE_DEB_REUSE_BUILD=1 scripts/run-tests $(TEST_BINARIES) $(SWIFT_E2E_RUN) $(PACKAGE_TEST) $(SCALE_TEST) \
	  --bin-dir $(CURDIR)/build/asan/bin $(ASAN_TEST_BINARIES)

# Only the sanitizer half of `make test`.
asan:
	@scripts/install-deps
	@$(MAKE) asan-build
	@$(ASAN_ENV) scripts/run-tests --bin-dir $(CURDIR)/build/asan/bin $(ASAN_TEST_BINARIES)

# libFuzzer targets (test/fuzz/*_fuzz.cc), built by clang with ASan and UBSan
# against just the library sources they reach, in their own tree.
FUZZ_BUILD    := build/fuzz
FUZZ_CXX      ?= clang++
FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CXXFLAGS := -std=c++20 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Werror -pthread -MMD -MP \
                 $(FUZZ_SANITIZE)
FUZZ_LIB_SRCS := src/common/status.cc src/common/text.cc src/common/time_format.cc \
                 src/common/uuid.cc src/image/image.cc src/image/image_headers.cc \
                 src/image/image_json.cc src/image/list_query.cc src/image/list_query_v2.cc \
                 src/db/list_sql.cc src/api/http.cc
FUZZ_BINS     := $(FUZZ_SRCS:test/fuzz/%.cc=$(FUZZ_BUILD)/%)
FUZZ_SECONDS  ?= 60

$(FUZZ_BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	@echo "  CLANG $<"
	$(Q)$(FUZZ_CXX) $(CPPFLAGS) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BINS): $(FUZZ_BUILD)/%: $(FUZZ_BUILD)/test/fuzz/%.o $(FUZZ_LIB_SRCS:%.cc=$(FUZZ_BUILD)/%.o)
	@echo "  LD    $@"
	$(Q)$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer $^ -o $@

fuzz-targets: $(FUZZ_BINS)

# Runs every target for FUZZ_SECONDS each; fails on any crash, leak or hang.
fuzz:
	@scripts/install-deps fuzz
	@$(MAKE) fuzz-targets
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz $(FUZZ_BINS)

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
# PEER=glance adds a second table: our v2 API beside Debian's glance-api.
bench:
	@scripts/install-deps
	@$(MAKE) all
	@scripts/bench $(if $(PEER),--peer $(PEER))

# Soak test on a stack of its own (not part of `make test`): SOAK_MINUTES
# (30) of mixed load, RSS per minute, then the store checked against the
# database; prints a Markdown report and "soak: PASS" or "soak: FAIL (...)".
soak:
	@scripts/install-deps
	@$(MAKE) all
	@scripts/soak

# Scale-out test (not part of `make test`): three api nodes behind a load
# balancer, two registries, a PostgreSQL primary and its replica, each on a
# "host" of its own (network namespaces, scripts/netns-lab), broken one at a
# time under load, with the filesystem store and with Swift.  Needs root;
# says so and skips otherwise.  Prints "N passed, N failed".
scale-test:
	@scripts/install-deps
	@$(MAKE) all
	@test/scale/run

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
