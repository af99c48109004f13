# The distributed mode: Redis, PostgreSQL, Celery queue workers, S3-compatible storage (README, "Scaling out").

.PHONY: cluster install-scale bench-scale bench

$(VENV)/.installed-scale: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install -q -e ".[scale]"
	@touch $@

install-scale: $(VENV)/.installed-scale

## cluster: Redis + PostgreSQL on loopback (installed if missing), 2 app workers behind one port, 2 queue workers; Ctrl-C stops them all
cluster: install-scale bun
	@mkdir -p uploaded_files
	$(PY) scripts/cluster.py $(CLUSTER_ARGS)

## bench-scale: jobs per minute with 1 and 2 queue workers, broker and database cost per job (docs/scale.md)
bench-scale: install-scale
	$(PY) bench/bench_scale.py $(BENCH_SCALE_ARGS)

bench: bench-scale
