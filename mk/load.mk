# The load test: concurrent uploads running the profile workflow plus status pollers, on loopback.

.PHONY: load bench

LOAD_ARGS ?= --uploads 50 --pollers 200 --duration 60

## load: 50 uploaders + 200 status pollers for 60 s against the service as its own process; writes docs/load.md
load: install
	$(PY) bench/load_test.py $(LOAD_ARGS) --markdown docs/load.md

bench: load
