# phoneswarm: one non-recursive Makefile.
#   make          build/phoneswarm (warnings are errors)
#   make asan     build-asan/phoneswarm with AddressSanitizer + UBSan
#   make test     unit tests, then the lab integration tests (needs root)
#   make unit     unit tests only
#   make bench    1,000 phones against the lab, figures printed
#   make bench-dtlsrec  the DTLS record layer against OpenSSL's (in memory, no lab)
#   make demo     install, build, lab up, run scenarios/demo.ini
#   make lab      bring the lab up (scripts/lab up)

CC      ?= cc
BUILD   ?= build
PKGS    := openssl liburing inih libcares zlib
CFLAGS  ?= -O2 -g
# override: these stay even when CFLAGS is given on the command line (make asan)
override CFLAGS += -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Werror -MMD -MP -I. -D_GNU_SOURCE
override LDLIBS += -lpthread -lm

# pkg-config is asked only once the packages are there (scripts/deps installs them).
ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)
endif
override CFLAGS += $(PKG_CFLAGS)
override LDLIBS += $(PKG_LIBS)

LIB_SRC  := $(wildcard engine/*.c engine/*/*.c) $(wildcard report/*.c) \
            $(filter-out loadgen/main.c,$(wildcard loadgen/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/loadgen/main.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps asan test unit lab-test bench bench-dtlsrec demo lab clean format fuzz
all: $(BUILD)/phoneswarm

deps:
	@scripts/deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libphoneswarm.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/phoneswarm: $(MAIN_OBJ) $(BUILD)/libphoneswarm.a
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libphoneswarm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS)

# make asan: build with AddressSanitizer + UBSan in build-asan/, then run the unit and
# lab tests with it (ASAN_OPTIONS below make any report fail the test that caused it).
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
asan:
	@scripts/deps test
	$(MAKE) BUILD=build-asan CFLAGS="$(ASAN_FLAGS)" \
	  build-asan/phoneswarm build-asan/badheadend build-asan/htmlgen $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  tests/run-all build-asan

unit: $(UNIT_BIN)
	@tests/run-unit $(BUILD)

# make test: everything, with one closing "N passed, N failed" line.
test:
	@scripts/deps test
	$(MAKE) all $(UNIT_BIN) $(BUILD)/badheadend $(BUILD)/htmlgen
	@tests/run-all $(BUILD)

lab-test: all $(BUILD)/badheadend $(BUILD)/htmlgen
	@tests/run-lab $(BUILD)

bench:
	@scripts/deps bench
	$(MAKE) all $(BUILD)/bench_handshake
	@scripts/bench $(BUILD)

$(BUILD)/bench_handshake: tests/bench/bench_handshake.c $(BUILD)/libphoneswarm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

# The DTLS record layer against OpenSSL's, in memory (no lab): CPU per record, bytes per session.
bench-dtlsrec: $(BUILD)/bench_dtlsrec
	$(BUILD)/bench_dtlsrec

$(BUILD)/bench_dtlsrec: tests/bench/bench_dtlsrec.c $(BUILD)/libphoneswarm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

demo:
	@scripts/deps
	$(MAKE) all
	@scripts/lab up
	$(BUILD)/phoneswarm run scenarios/demo.ini -o $(BUILD)/demo

lab:
	@scripts/deps
	@scripts/lab up

# libFuzzer targets for the parsers: make fuzz [FUZZ_SECONDS=60]
FUZZ_SECONDS ?= 30
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_LIB := engine/proto/http.c engine/proto/cstp.c engine/proto/authxml.c engine/proto/anyconnect.c engine/proto/url.c \
            engine/trust/certhash.c engine/proto/inner.c engine/proto/text.c report/jsonread.c report/hdrlog.c \
            engine/stats/hist.c report/contract.c engine/tls/dtlsrec.c
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz needs clang: apt-get install clang" >&2; exit 1; }
	@mkdir -p $(BUILD)/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. \
	    -D_GNU_SOURCE $$f $(FUZZ_LIB) -lssl -lcrypto -lz -lm -o $(BUILD)/fuzz/$$n || exit 1; \
	  echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
	  $(BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 2>&1 | tail -1 || exit 1; \
	done

# A deliberately broken headend for the bad-input tests (tests/lab/test_bad_headend.sh).
$(BUILD)/badheadend: tests/tools/badheadend.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< -lssl -lcrypto

# A synthetic run's report.html, for tests/lab/test_html_synth.sh and for working on the page:
# build/htmlgen DIR [--seconds S] ...
$(BUILD)/htmlgen: tests/tools/htmlgen.c $(BUILD)/libphoneswarm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c)

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
