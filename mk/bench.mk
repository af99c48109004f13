# `make bench`: the benchmark suite under bench/, written to BENCHMARKS.md (about 5 minutes on 2 cores).
# BENCH_ARGS=--quick for a smoke run; BENCH_ARGS=--no-intelligence to skip the analysis actions;
# BENCH_ARGS=--no-browser to skip the Chromium and developer-loop parts (reflex run, make run).

.PHONY: bench bench-deps

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PY) -m pip install -q "pyvips[binary]>=3" || echo "pyvips[binary] did not install"
	@$(PY) -c "import pyvips; print('pyvips', pyvips.__version__, 'libvips', pyvips.version(0), pyvips.version(1))" \
		|| echo "pyvips does not import here: the thumbnail table compares without it"
	@touch $@

bench-deps: $(VENV)/.installed-bench

## bench: run bench/ and rewrite the measured sections of BENCHMARKS.md
bench: bench-deps bun chromium docs-ui
	@uptime || true
	$(PY) bench/run_all.py --out BENCHMARKS.md $(BENCH_ARGS)
