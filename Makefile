# alertnoise -- build, run, test, install.
#
#   make run        build and run alertnoised in the foreground (installs build deps);
#                   ARGS="--web.listen-address=:9999" adds flags
#   make test       the whole test suite: unit, integration, end-to-end
#   make SANITIZER=address,undefined test   the same suite sanitized
#   make install PREFIX=/usr/local DESTDIR=...

VERSION  := 0.1.0
PREFIX   ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR  ?=
CC       ?= cc
BUILD    ?= build

PKGS     := libmicrohttpd jansson sqlite3 yaml-0.1 libprotobuf-c libpcre2-8 libcurl
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS   ?= -O2 -g
ifdef WERROR
WARN     += -Werror
endif
ifdef SANITIZER
CFLAGS   += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZER)
endif
REVISION := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BRANCH   := $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
# lib/ is one folder per concern (README "Source layout"); headers are
# included by name, each folder on the include path
LIB_DIRS := $(sort $(dir $(wildcard lib/*/*.c lib/*/*.h)))
CPPFLAGS += $(patsubst %/,-I%,$(LIB_DIRS)) -I$(BUILD)/proto -D_GNU_SOURCE -DAN_VERSION='"$(VERSION)"' -DAN_REVISION='"$(REVISION)"' -DAN_BRANCH='"$(BRANCH)"'
ALL_CFLAGS = -std=c11 -pthread $(WARN) $(CFLAGS) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS     = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lsnappy -lpthread -lm

# Debian packages the build and the tests need; `make deps` installs the missing ones.
BUILD_DEPS := gcc make pkg-config libmicrohttpd-dev libprotobuf-c-dev protobuf-c-compiler libcurl4-openssl-dev \
	libsnappy-dev libjansson-dev libsqlite3-dev libyaml-dev libpcre2-dev
TEST_DEPS  := prometheus prometheus-alertmanager sqlite3 curl python3 python3-yaml git chromium tzdata systemd
FUZZ_DEPS  := clang libclang-rt-dev python3

LIB_SRC  := $(wildcard lib/*/*.c)
LIB_HDR  := $(wildcard lib/*/*.h)
PROTO    := $(wildcard proto/*.proto)
PROTO_C  := $(patsubst proto/%.proto,$(BUILD)/proto/%.pb-c.c,$(PROTO))
LIB_OBJ  := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC)) $(PROTO_C:.c=.o)
DAEMON_OBJ := $(patsubst daemon/%.c,$(BUILD)/daemon/%.o,$(wildcard daemon/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all run test unit e2e deps deps-build deps-test deps-fuzz install clean FORCE
.SECONDARY: $(PROTO_C) $(PROTO_C:.c=.h)

all: $(BUILD)/alertnoised

$(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(BUILD)/proto
	protoc-c --proto_path=proto --c_out=$(BUILD)/proto $<

$(BUILD)/lib/%.o: lib/%.c $(PROTO_C) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/proto/%.o: $(BUILD)/proto/%.c
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Wno-missing-prototypes -c -o $@ $<

$(BUILD)/daemon/%.o: daemon/%.c $(LIB_HDR) $(wildcard daemon/*.h) $(PROTO_C)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# the installed binary reads /etc/alertnoise/alertnoised.yml by default;
# rebuilt when SYSCONFDIR changes (the stamp holds the last one)
$(BUILD)/install/sysconfdir: FORCE
	@mkdir -p $(@D)
	@echo '$(SYSCONFDIR)' | cmp -s - $@ || echo '$(SYSCONFDIR)' > $@
$(BUILD)/install/main.o: daemon/main.c $(LIB_HDR) $(wildcard daemon/*.h) $(BUILD)/install/sysconfdir
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DAN_DEFAULT_CONFIG='"$(SYSCONFDIR)/alertnoise/alertnoised.yml"' $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/install/alertnoised: $(BUILD)/install/main.o $(filter-out $(BUILD)/daemon/main.o,$(DAEMON_OBJ)) $(BUILD)/libalertnoise.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/libalertnoise.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/alertnoised: $(DAEMON_OBJ) $(BUILD)/libalertnoise.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(DAEMON_OBJ) $(BUILD)/libalertnoise.a $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libalertnoise.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libalertnoise.a $(LIBS)

deps-build:
	@missing=$$(for p in $(BUILD_DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
deps-test: deps-build
	@missing=$$(for p in $(TEST_DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
deps-fuzz: deps-build
	@missing=$$(for p in $(FUZZ_DEPS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
deps: deps-test

run: deps-build
	$(MAKE) all
	$(BUILD)/alertnoised --config.file=config/alertnoised.yml $(ARGS)

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do $$t || fail=1; done; exit $$fail

test: deps-test
	$(MAKE) all $(UNIT_BIN)
	tests/run.sh $(BUILD)

# Only the end-to-end tests (real Prometheus and Alertmanager); `make test`
# runs them too.
e2e: deps-test
	$(MAKE) all
	AN_BUILD=$(abspath $(BUILD)) python3 tests/runpy.py tests/e2e

# Installs the binary, the default config (never over an existing one), the
# systemd unit, with the unit's paths rewritten for PREFIX, and the Grafana
# dashboard and Prometheus rules to PREFIX/share/alertnoise.
install: $(BUILD)/install/alertnoised
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSCONFDIR)/alertnoise \
		$(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/share/alertnoise
	install -m 0755 $(BUILD)/install/alertnoised $(DESTDIR)$(PREFIX)/bin/alertnoised
	for f in $(wildcard config/grafana/alertnoise-dashboard.json config/rules/alertnoise.rules.yml); do \
		install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/alertnoise/ || exit 1; \
	done
	[ -e $(DESTDIR)$(SYSCONFDIR)/alertnoise/alertnoised.yml ] || \
		install -m 0644 config/alertnoised.yml $(DESTDIR)$(SYSCONFDIR)/alertnoise/alertnoised.yml
	sed -e 's|/usr/local/bin/|$(PREFIX)/bin/|g' -e 's|/etc/alertnoise/|$(SYSCONFDIR)/alertnoise/|g' \
		systemd/alertnoised.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/alertnoised.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/alertnoised.service

clean:
	rm -rf $(BUILD)

FORCE:

# libFuzzer harness for the remote-write decoder (needs clang). `make fuzz`
# builds it, writes the seed corpus (tests/data/rw behind a mode byte, see
# tests/fuzz/fuzz_rw_decode.c) and runs it for FUZZ_SECONDS; new inputs go
# to $(BUILD)/fuzz/corpus, crashes to $(BUILD)/fuzz/crash-*.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
FUZZ_PROTO   := $(BUILD)/proto/remote.pb-c.c $(BUILD)/proto/types.pb-c.c $(BUILD)/proto/write_v2.pb-c.c
.PHONY: fuzz fuzz-build
fuzz: deps-fuzz
	$(MAKE) fuzz-build
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_rw_decode -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/ \
		$(BUILD)/fuzz/corpus $(BUILD)/fuzz/seed
fuzz-build: $(BUILD)/fuzz/fuzz_rw_decode $(BUILD)/fuzz/seed/.done
# the decoder's files (lib/decode/rw_*.c) and what they use from lib/core
FUZZ_RW_SRC  := $(wildcard lib/decode/rw_*.c) lib/core/utf8.c
$(BUILD)/fuzz/fuzz_rw_decode: tests/fuzz/fuzz_rw_decode.c $(FUZZ_RW_SRC) $(wildcard lib/decode/rw_*.h) \
		lib/core/utf8.h $(FUZZ_PROTO)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_rw_decode.c $(FUZZ_RW_SRC) \
		$(FUZZ_PROTO) -lprotobuf-c -lsnappy
$(BUILD)/fuzz/seed/.done: $(wildcard tests/data/rw/*.snappy) tests/fuzz/unsnappy.py
	rm -rf $(@D) && mkdir -p $(@D)
	for f in tests/data/rw/v1_*.snappy; do { printf '\000'; cat $$f; } > $(@D)/$$(basename $$f); done
	for f in tests/data/rw/v2_*.snappy; do { printf '\001'; cat $$f; } > $(@D)/$$(basename $$f); done
	for f in tests/data/rw/v1_*.snappy; do { printf '\002'; python3 tests/fuzz/unsnappy.py < $$f; } > $(@D)/raw_$$(basename $$f .snappy); done
	for f in tests/data/rw/v2_*.snappy; do { printf '\003'; python3 tests/fuzz/unsnappy.py < $$f; } > $(@D)/raw_$$(basename $$f .snappy); done
	printf '\200application/x-protobuf;proto=io.prometheus.write.v2.Request' > $(@D)/content_type
	touch $@

# Benchmarks (bench/; README "Performance"). `make bench` builds the daemon
# and the bench programs, then bench/run.sh measures every target against a
# baseline taken in the same run, on 127.0.0.1 only, in about ten minutes.
BENCH_PROGS := rwload decode whload sqlbase gen probe scans
BENCH_BIN   := $(addprefix $(BUILD)/bench/,$(BENCH_PROGS))
.PHONY: bench bench-build
.SECONDARY: $(BENCH_BIN:=.o) $(BUILD)/bench/bench.o $(BUILD)/bench/notif.o

bench: deps-test
	$(MAKE) all bench-build
	bench/run.sh $(BUILD)

bench-build: $(BENCH_BIN)

$(BUILD)/bench/%.o: bench/%.c $(wildcard bench/*.h) $(PROTO_C) $(LIB_HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/bench/bench.o $(BUILD)/bench/notif.o $(BUILD)/libalertnoise.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/bench/bench.o $(BUILD)/bench/notif.o \
		$(BUILD)/libalertnoise.a $(LIBS)
