"""The workflow engine: a pure model, an engine that runs jobs, their SQL store, the Celery queue, and the HTTP endpoints."""
