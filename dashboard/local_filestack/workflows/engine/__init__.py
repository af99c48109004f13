"""Running jobs: the runners, the actions, the process pool, sources, webhooks and the workflow catalogue."""
