"""The one way to build a :class:`WorkflowEngine`: in the service and in each Celery queue worker."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor

from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.local_filestack.imaging import FaceFinder, Limits
from dashboard.local_filestack.ingest.netguard import FetchOptions
from dashboard.local_filestack.intelligence.scanning import ScannerSettings
from dashboard.local_filestack.storage.aliases import StorageAliases
from dashboard.local_filestack.storage.store import Storage
from dashboard.local_filestack.workflows.engine.actions import (
    ActionRegistry,
    ActionResources,
    default_registry,
)
from dashboard.local_filestack.workflows.engine.events import JobEventBus
from dashboard.local_filestack.workflows.engine.queue import JobQueue
from dashboard.local_filestack.workflows.engine.runner import JobCallback, WorkflowEngine
from dashboard.local_filestack.workflows.engine.sources import SourceResolver
from dashboard.local_filestack.workflows.stores.store import JobStore


def scanner_settings(settings: WorkflowSettings) -> ScannerSettings:
    """Where ``virus_scan`` reaches clamd, from the workflow settings."""
    if settings.clamd_host is not None:
        return ScannerSettings(
            socket_path=None,
            host=settings.clamd_host,
            port=settings.clamd_port,
            timeout_s=settings.scan_timeout_s,
            max_stream_bytes=settings.scan_max_bytes,
        )
    return ScannerSettings(
        socket_path=settings.clamd_socket,
        timeout_s=settings.scan_timeout_s,
        max_stream_bytes=settings.scan_max_bytes,
    )


def build_engine(
    *,
    settings: WorkflowSettings,
    store: JobStore,
    queue: JobQueue,
    storage: Storage,
    pool: Executor,
    limits: Limits,
    fetching: FetchOptions,
    public_url: str | None,
    find_faces: FaceFinder | None,
    on_finished: JobCallback | None,
    registry: ActionRegistry | None = None,
    on_file_deleted: Callable[[str], None] | None = None,
    aliases: StorageAliases | None = None,
    events: JobEventBus | None = None,
) -> WorkflowEngine:
    """An engine running ``registry``'s actions (the built-in ones by default) on these parts."""
    return WorkflowEngine(
        store=store,
        queue=queue,
        registry=registry or default_registry(),
        resources=ActionResources(
            storage=storage,
            store=store,
            pool=pool,
            limits=limits,
            public_url=public_url,
            find_faces=find_faces,
            on_file_deleted=on_file_deleted,
            scanner=scanner_settings(settings),
        ),
        resolver=SourceResolver(storage, store, fetching, limits, aliases),
        settings=settings,
        on_finished=on_finished,
        events=events,
    )
