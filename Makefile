# ngx_http_swarm: build, demo and tests.
#
#   make              the module, against Debian's nginx (nginx-dev)
#   NGINX_SRC=/path/to/nginx-x.y.z make
#                     the module, against an nginx source tree
#   make test         installs what is missing, builds, runs every test

SHELL := /bin/bash

TOP := $(CURDIR)
BUILD := $(TOP)/build
NGINX_SRC ?=
NGINX_BIN ?= /usr/sbin/nginx
# configure arguments for NGINX_SRC: --with-compat makes the module load
# into any nginx of that version built --with-compat, whatever its modules;
# PCRE (libpcre2-dev, which nginx-dev brings) runs the regular expressions
# of Traefik's rules
NGINX_CONFIGURE ?= --with-compat --with-threads --with-debug \
                   --without-http_gzip_module
MODULE := $(BUILD)/ngx_http_swarm_module.so

# the pure layer: no nginx, so unit tests and fuzzers call it directly
LIB_SRCS := $(wildcard lib/*.c)
LIB_HDRS := $(wildcard lib/*.h)

SRCS := config ngx_http_swarm_module.c ngx_http_swarm_sticky.c \
        $(wildcard src/*.c src/*.h src/*.html) $(LIB_SRCS) $(LIB_HDRS)

BUILD_PKGS := nginx nginx-dev libjansson-dev libcurl4-openssl-dev libssl-dev \
              libpcre2-dev zlib1g-dev gcc make
TEST_PKGS := $(BUILD_PKGS) libcmocka-dev pkg-config perl python3 curl gdb \
             libssl-dev openssl iproute2 util-linux \
             valgrind clang libclang-rt-14-dev prometheus chromium \
             python3-websocket apache2-utils pebble

UNIT_CFLAGS := -g -O1 -Wall -Wextra -Werror -I$(TOP)/lib
UNIT_LIBS := -ljansson -lcmocka

.PHONY: all module deps test-deps lib-c99 layers unit t test-asan t-e2e test \
        fuzz bench bench-tls \
        bench-scale bench-routed bench-instr bench-deps clean \
        demo demo-down

all: module

module: $(MODULE)

# Says which package is missing rather than failing in the compiler.
deps:
	@missing=""; \
	for p in $(BUILD_PKGS); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "missing packages:$$missing"; \
	    echo "install them with: apt-get install$$missing"; \
	    exit 1; \
	fi

test-deps:
	@TEST_PKGS="$(TEST_PKGS)" $(TOP)/t/install-deps

$(MODULE): $(SRCS)
	@$(MAKE) --no-print-directory deps
	rm -rf $(BUILD)/nginx
	mkdir -p $(BUILD)
	set -e; \
	if [ -n "$(NGINX_SRC)" ]; then \
	    cp -a $(NGINX_SRC) $(BUILD)/nginx; \
	    cd $(BUILD)/nginx; \
	    ./configure $(NGINX_CONFIGURE) \
	        --add-dynamic-module=$(TOP) >$(BUILD)/configure.log; \
	else \
	    cp -a /usr/share/nginx/src $(BUILD)/nginx; \
	    cd $(BUILD)/nginx; \
	    . ./conf_flags; \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --add-dynamic-module=$(TOP) >$(BUILD)/configure.log; \
	fi; \
	$(MAKE) -f objs/Makefile modules
	cp $(BUILD)/nginx/objs/ngx_http_swarm_module.so $(MODULE)

# a unit test program for each unit of lib/ (t/unit/UNIT_unit_test.c)
UNIT_TESTS := $(patsubst t/unit/%_unit_test.c,$(BUILD)/unit/%, \
                $(wildcard t/unit/*_unit_test.c))

$(BUILD)/unit/%: t/unit/%_unit_test.c t/unit/unit_test.c t/unit/unit_test.h \
                 $(LIB_SRCS) $(LIB_HDRS)
	@test -d $(BUILD)/unit || rm -f $(BUILD)/unit
	mkdir -p $(BUILD)/unit
	$(CC) $(UNIT_CFLAGS) -I$(TOP)/t/unit \
	    -DFIXTURES='"$(TOP)/t/fixtures/docker-20.10"' \
	    -o $@ $< t/unit/unit_test.c $(LIB_SRCS) $(UNIT_LIBS)

# the pure layer builds on its own: C99, POSIX, jansson, no nginx
lib-c99:
	$(CC) -std=c99 -D_POSIX_C_SOURCE=200809L -pedantic -Wall -Wextra \
	    -Werror -fsyntax-only $(LIB_SRCS)

# the layers of src/ (docs/design.md): what each file may include, and
# the rules t/layers checks; it prints the include graph
layers:
	perl t/layers

# under valgrind: a leak or a bad access fails the run
unit: lib-c99 $(UNIT_TESTS)
	set -e; for t in $(UNIT_TESTS); do \
	    echo "$$t"; \
	    valgrind --error-exitcode=1 --leak-check=full \
	        --errors-for-leak-kinds=definite,indirect -q $$t; \
	done

t:
	@test -f $(MODULE) || { echo "no $(MODULE): run make first"; exit 1; }
	@echo "t/ on $$($(NGINX_BIN) -v 2>&1) with $(MODULE)"
	SWARM_MODULE=$(MODULE) NGINX_BIN=$(NGINX_BIN) prove -I t/lib t/

# The t/ suite on nginx 1.26.3, built from Debian's pristine source with
# AddressSanitizer and UndefinedBehaviorSanitizer, the module with them
# too, and nginx's own -Werror: any report fails the test it shows in.
ASAN_DIR := $(BUILD)/asan-1.26.3
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize=nonnull-attribute \
              -fno-sanitize-recover=all -fno-omit-frame-pointer

test-asan:
	set -e; \
	src=$$($(TOP)/t/fetch-nginx 1.26.3 $(BUILD)/src); \
	$(MAKE) --no-print-directory NGINX_SRC=$$src BUILD=$(ASAN_DIR) \
	    NGINX_CONFIGURE="--with-compat --with-threads --with-debug \
	        --without-http_gzip_module \
	        --with-http_ssl_module \
	        --with-cc-opt='$(ASAN_FLAGS)' \
	        --with-ld-opt='-fsanitize=address,undefined'" module; \
	$(MAKE) -C $(ASAN_DIR)/nginx -f objs/Makefile binary >/dev/null; \
	SWARM_ASAN=1 $(MAKE) --no-print-directory \
	    MODULE=$(ASAN_DIR)/ngx_http_swarm_module.so \
	    NGINX_BIN=$(ASAN_DIR)/nginx/objs/nginx t

# end to end on a real Docker engine and swarm, which it starts if none
# answers (see docker/demo.sh); fails, never skips, if it cannot
t-e2e:
	prove -I t/lib t/e2e/

test: test-deps
	$(MAKE) --no-print-directory layers
	$(MAKE) --no-print-directory module
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory t-e2e
	$(MAKE) --no-print-directory t

# libFuzzer targets for the parsers (t/fuzz), seeded from t/fixtures;
# each runs FUZZ_SECONDS; make test runs a short smoke of each
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -I$(TOP)/lib

$(BUILD)/fuzz/fuzz_%: t/fuzz/fuzz_%.c $(LIB_SRCS) $(LIB_HDRS)
	mkdir -p $(BUILD)/fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRCS) -ljansson

fuzz: $(BUILD)/fuzz/fuzz_docker $(BUILD)/fuzz/fuzz_cookie \
      $(BUILD)/fuzz/fuzz_rule $(BUILD)/fuzz/fuzz_middlewares \
      $(BUILD)/fuzz/fuzz_acme
	mkdir -p $(BUILD)/fuzz/corpus-docker $(BUILD)/fuzz/corpus-cookie \
	    $(BUILD)/fuzz/corpus-rule $(BUILD)/fuzz/corpus-middlewares \
	    $(BUILD)/fuzz/corpus-acme
	cp t/fixtures/docker-20.10/* $(BUILD)/fuzz/corpus-docker/
	i=0; while IFS= read -r line; do \
	    i=$$((i + 1)); \
	    printf '%s' "$$line" > $(BUILD)/fuzz/corpus-cookie/seed$$i; \
	done < t/fuzz/cookie.seeds
	i=0; while IFS= read -r line; do \
	    i=$$((i + 1)); \
	    printf '%s' "$$line" > $(BUILD)/fuzz/corpus-rule/seed$$i; \
	done < t/fuzz/rule.seeds
	i=0; while IFS= read -r line; do \
	    i=$$((i + 1)); \
	    printf '%s' "$$line" > $(BUILD)/fuzz/corpus-middlewares/seed$$i; \
	done < t/fuzz/middlewares.seeds
	i=0; while IFS= read -r line; do \
	    i=$$((i + 1)); \
	    printf '%s' "$$line" > $(BUILD)/fuzz/corpus-acme/seed$$i; \
	done < t/fuzz/acme.seeds
	cd $(BUILD)/fuzz && ./fuzz_docker -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -print_final_stats=1 corpus-docker 2>&1 \
	    | grep -E '^(stat::number_of_executed_units|Done|==[0-9]+==)'; \
	    test $${PIPESTATUS[0]} = 0
	cd $(BUILD)/fuzz && ./fuzz_cookie -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=4096 -print_final_stats=1 corpus-cookie 2>&1 \
	    | grep -E '^(stat::number_of_executed_units|Done|==[0-9]+==)'; \
	    test $${PIPESTATUS[0]} = 0
	cd $(BUILD)/fuzz && ./fuzz_rule -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=4096 -print_final_stats=1 corpus-rule 2>&1 \
	    | grep -E '^(stat::number_of_executed_units|Done|==[0-9]+==)'; \
	    test $${PIPESTATUS[0]} = 0
	cd $(BUILD)/fuzz && ./fuzz_middlewares \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    -print_final_stats=1 corpus-middlewares 2>&1 \
	    | grep -E '^(stat::number_of_executed_units|Done|==[0-9]+==)'; \
	    test $${PIPESTATUS[0]} = 0
	cd $(BUILD)/fuzz && ./fuzz_acme -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=8192 -print_final_stats=1 corpus-acme 2>&1 \
	    | grep -E '^(stat::number_of_executed_units|Done|==[0-9]+==)'; \
	    test $${PIPESTATUS[0]} = 0

# a benchmark that prints figures, not a timed test: see t/bench/bench.pl,
# t/bench/routed.pl: 1,000 routes against one (bench-routed),
# t/bench/scale.pl: the same module with 10,000 tasks (bench-scale),
# t/bench/tls.pl: a TLS handshake with a swarm_tls certificate against
# the same in ssl_certificate (bench-tls), and
# t/bench/instr.pl: instructions per request under callgrind, against
# nginx's static round robin (and stock nginx's sticky cookie, given
# NGINX_STICKY=), for swarm_service, metrics, routes and each
# middleware, and per TLS handshake (bench-instr)
bench: bench-deps
	SWARM_MODULE=$(MODULE) NGINX_BIN=$(NGINX_BIN) perl t/bench/bench.pl
	SWARM_MODULE=$(MODULE) NGINX_BIN=$(NGINX_BIN) perl t/bench/routed.pl
	SWARM_MODULE=$(MODULE) NGINX_BIN=$(NGINX_BIN) perl t/bench/scale.pl
	SWARM_MODULE=$(MODULE) NGINX_BIN=$(NGINX_BIN) perl t/bench/tls.pl
	NGINX_BIN=$(NGINX_BIN) perl t/bench/instr.pl $(MODULE)

bench-tls: bench-deps
	SWARM_MODULE=$(MODULE) NGINX_BIN=$(NGINX_BIN) perl t/bench/tls.pl

bench-instr: bench-deps
	NGINX_BIN=$(NGINX_BIN) perl t/bench/instr.pl $(MODULE)

bench-routed: bench-deps
	SWARM_MODULE=$(MODULE) NGINX_BIN=$(NGINX_BIN) perl t/bench/routed.pl

bench-scale: bench-deps
	SWARM_MODULE=$(MODULE) NGINX_BIN=$(NGINX_BIN) perl t/bench/scale.pl

bench-deps:
	@TEST_PKGS="$(TEST_PKGS) wrk haproxy" $(TOP)/t/install-deps
	$(MAKE) --no-print-directory module

clean:
	rm -rf $(BUILD)

# The demo: the stack of docker/stack.yml on this machine's swarm.
demo:
	bash docker/demo.sh

demo-down:
	bash docker/demo.sh down
