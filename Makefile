# forecast — build, test, sanitizer build, demo.
#   make              build ./forecast
#   make check        unit tests (Check) + end-to-end CLI tests + peer cross-checks
#   make check-asan   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo         train statquant on the bundled sample data
#   make fuzz         the libFuzzer targets of tests/fuzz/ (clang), FUZZ_SECONDS each
#   make install      the binary, example configs, forecast.1, bash completion
#                     under $(DESTDIR)$(PREFIX) (default /usr/local); make uninstall

CC      ?= cc
CXX     ?= g++
CFLAGS  ?= -O2 -g
CXXFLAGS ?= $(CFLAGS)
WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
# No FMA contraction: a float expression rounds the same whatever CPU the
# binary was built for (models/mlp_forward.c relies on it)
FPFLAGS  = -ffp-contract=off
CPPFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Iinclude -Imodels
# libtorch's C++ API headers are treated as system headers (their own
# warnings are not ours); only models/torch_shim.cpp includes them. The
# shim is a shared object linked with the C++ driver against libtorch and
# embedded in the binary, which loads it on first use (models/torch_shim.h):
# forecast itself does not link libtorch.
TORCH_CPPFLAGS = -isystem /usr/include/torch/csrc/api/include
TORCH_LIBS = -ltorch -ltorch_cpu -lc10
CXXWARN  = -Wall -Wextra -Werror -Wshadow
LIBS     = -lxgboost -lsqlite3 -lcjson -lcsv -lcrypto -lz -lxxhash -larchive -llinear -lgsl -lgslcblas -ldl -lpthread -lm
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -pthread -lm)

SRC  = $(wildcard src/*/*.c) $(wildcard models/*.c)
TSRC = $(wildcard tests/*.c)
HDR  = $(wildcard include/forecast/*/*.h) $(wildcard models/*.h)

BUILD ?= build
OBJ  = $(SRC:%.c=$(BUILD)/%.o) $(BUILD)/models/torch_shim_blob.o
TOBJ = $(TSRC:%.c=$(BUILD)/%.o)

ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# LeakSanitizer's tracer (gcc 12) crashes ("Tracer caught signal 11") at the
# exit of a test process that loaded libtorch when the runner has registered
# every suite, depending on memory layout; in a runner of their own the
# libtorch tests (tag "libtorch") are checked for leaks like the rest.
# The same tracer crash came at the exit of MLP runs in tests/cli.sh (exit 1
# after their outputs were written): seen once on an AMD EPYC, and in every
# run of tests/cli.sh on an Intel Xeon (mlp_quantile with nonnegative auto),
# though not when the same command ran alone: it depends on the layout. The
# binary built with ASan runs the leak check at the end of main
# (__lsan_do_leak_check, src/main.c), while libtorch's thread pools wait idle,
# instead of at exit while they are torn down. OpenBLAS's thread pool, which
# such a process starts at load, is kept to the calling thread there.
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1

.PHONY: all check check-unit check-cli check-peers check-install check-fuzz check-asan demo deps \
	bench clean install uninstall fuzz

all: forecast

forecast: $(OBJ) $(BUILD)/src/main.o
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c $(HDR)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(FPFLAGS) $(WARN) -c -o $@ $<

# the libtorch shim: a shared object, linked with the C++ driver ...
$(BUILD)/models/torch_shim.so: models/torch_shim.cpp models/torch_shim.h
	@mkdir -p $(dir $@)
	@echo "  CXX     $<"
	@$(CXX) -std=c++17 -fPIC -shared -fvisibility=hidden -Imodels $(TORCH_CPPFLAGS) \
		$(CXXFLAGS) $(CXXWARN) $(LDFLAGS) -o $@ $< $(TORCH_LIBS)

# ... whose bytes the binary carries (models/torch_shim_blob.S)
$(BUILD)/models/torch_shim_blob.o: models/torch_shim_blob.S $(BUILD)/models/torch_shim.so
	@echo "  AS      $<"
	@$(CC) -c -DSHIM_SO='"$(BUILD)/models/torch_shim.so"' -o $@ $<

$(BUILD)/run_tests: $(OBJ) $(TOBJ)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)

# every group: what runs, builds and tests (scripts/deps.sh)
deps:
	@scripts/deps.sh all

check: deps
	$(MAKE) check-unit check-cli check-peers check-install check-fuzz

check-unit: $(BUILD)/run_tests
	cd tests && ../$(BUILD)/run_tests

check-cli: forecast
	tests/cli.sh ./forecast
	tests/tune.sh ./forecast
	tests/distributed.sh ./forecast

# cross-checks against python3-xgboost / sklearn / pandas (skipped loudly
# when they are not installed)
check-peers: forecast
	tests/peers.sh ./forecast

# make install / uninstall into a scratch DESTDIR: every file in place, the
# man page renders, completion works, nothing left after uninstall
check-install: forecast
	tests/install.sh

# ---- fuzzing: tests/fuzz/ ----
# Each target (fuzz_<name>.c) defines LLVMFuzzerTestOneInput. check-fuzz runs
# the seed corpora and every input that once crashed (tests/fuzz/regress/)
# through them with driver.c, in this build (and under ASan in check-asan);
# make fuzz builds them with clang's libFuzzer + ASan + UBSan in build-fuzz/
# and fuzzes each for FUZZ_SECONDS (tests/fuzz/run.sh prints the executions).
FUZZ_TARGETS = csv config set cache model
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_COMMON = $(BUILD)/tests/fuzz/fuzz_common.o
FUZZ_LINK ?=

$(BUILD)/fuzz/regress_%: $(OBJ) $(BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_COMMON) $(BUILD)/tests/fuzz/driver.o
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/fuzz/fuzz_%: $(OBJ) $(BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_COMMON)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) $(FUZZ_LINK) -o $@ $^ $(LIBS)

check-fuzz: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/regress_%)
	@for t in $(FUZZ_TARGETS); do \
		$(FUZZ_ENV) $(BUILD)/fuzz/regress_$$t tests/fuzz/corpus/$$t \
			$$(test -d tests/fuzz/regress/$$t && echo tests/fuzz/regress/$$t) || exit 1; \
	done

fuzz:
	@scripts/deps.sh fuzz
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" CXXFLAGS="-O1 -g" \
		LDFLAGS="-fsanitize=address,undefined" FUZZ_LINK=-fsanitize=fuzzer \
		$(FUZZ_TARGETS:%=build-fuzz/fuzz/fuzz_%)
	tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# benchmarks, not tests: forecast against its peers, medians and ratios
bench: forecast $(BUILD)/bench/mlp_step $(BUILD)/bench/derive_step $(BUILD)/bench/tune_sampler
	bench/run

# bench/mlp.sh's timing program: the shim's training step, nothing else
$(BUILD)/bench/mlp_step: $(BUILD)/bench/mlp_step.o $(BUILD)/models/torch_loader.o \
		$(BUILD)/models/torch_shim_blob.o
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -ldl -lpthread

# bench/derive.sh's timing program: fc_derive on a dataset, nothing else
$(BUILD)/bench/derive_step: $(BUILD)/bench/derive_step.o $(OBJ)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# bench/tune.sh's timing program: the study's ask (SQLite + TPE), nothing else
$(BUILD)/bench/tune_sampler: $(BUILD)/bench/tune_sampler.o $(OBJ)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# Sanitizer build in its own tree, so it never mixes with the normal objects.
check-asan: deps
	$(MAKE) BUILD=build-asan CFLAGS="$(ASAN_FLAGS)" CXXFLAGS="$(ASAN_FLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" \
		build-asan/run_tests build-asan/forecast
	cd tests && $(ASAN_ENV) CK_EXCLUDE_TAGS=libtorch ../build-asan/run_tests
	# (in one process: LeakSanitizer's tracer crashes at the exit of some
	# forked children once libtorch's thread pools exist, "Tracer caught
	# signal 11"; unforked, the leak check covers every test at the end)
	cd tests && $(ASAN_ENV) CK_FORK=no CK_INCLUDE_TAGS=libtorch ../build-asan/run_tests
	$(ASAN_ENV) OPENBLAS_NUM_THREADS=1 tests/cli.sh ./build-asan/forecast
	$(ASAN_ENV) OPENBLAS_NUM_THREADS=1 tests/tune.sh ./build-asan/forecast
	$(ASAN_ENV) OPENBLAS_NUM_THREADS=1 tests/distributed.sh ./build-asan/forecast
	$(MAKE) BUILD=build-asan CFLAGS="$(ASAN_FLAGS)" CXXFLAGS="$(ASAN_FLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" FUZZ_ENV="$(ASAN_ENV)" check-fuzz

build-asan/forecast: $(OBJ) $(BUILD)/src/main.o
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
DATADIR = $(PREFIX)/share/forecast
MANDIR = $(PREFIX)/share/man/man1
COMPDIR = $(PREFIX)/share/bash-completion/completions

$(BUILD)/forecast.1: forecast scripts/manpage.sh
	@echo "  MAN     $@"
	@mkdir -p $(dir $@)
	@scripts/manpage.sh ./forecast >$@.tmp && mv $@.tmp $@

install: forecast $(BUILD)/forecast.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/config/models $(DESTDIR)$(MANDIR) \
		$(DESTDIR)$(COMPDIR)
	install -m 755 forecast $(DESTDIR)$(BINDIR)/forecast
	install -m 644 config/*.json $(DESTDIR)$(DATADIR)/config/
	install -m 644 config/models/*.json $(DESTDIR)$(DATADIR)/config/models/
	install -m 644 $(BUILD)/forecast.1 $(DESTDIR)$(MANDIR)/forecast.1
	install -m 644 scripts/forecast-completion.bash $(DESTDIR)$(COMPDIR)/forecast

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/forecast $(DESTDIR)$(MANDIR)/forecast.1 \
		$(DESTDIR)$(COMPDIR)/forecast
	rm -rf $(DESTDIR)$(DATADIR)

demo: deps forecast
	./forecast train --model statquant

clean:
	rm -rf build build-asan build-fuzz forecast

# keep the objects of the fuzz and regression targets between runs
.SECONDARY:
