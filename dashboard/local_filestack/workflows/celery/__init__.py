"""The distributed queue: the Celery app, the producer side, the queue worker."""
