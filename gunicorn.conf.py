"""gunicorn settings, read from the working directory: each worker starts its background scheduler."""

from flask import Flask

from app import scheduler


def post_worker_init(worker) -> None:
    """After a worker has loaded its app: start the app's scheduler (when SCHEDULER_ENABLED; docs/scheduler.md)."""
    if isinstance(worker.wsgi, Flask):  # not for the bare WSGI apps of the benchmarks
        scheduler.starten(worker.wsgi)
