"""Async Filestack client (httpx + pydantic) for real Filestack or the embedded service.

Only base URLs tell the two apart; see :class:`ClientConfig`.
"""

from __future__ import annotations

from dashboard.filestack_protocol.security import Security

from .client import FilestackClient
from .config import ClientConfig
from .errors import (
    FilestackAuthError,
    FilestackBadRequest,
    FilestackConnectionError,
    FilestackError,
    FilestackHTTPError,
    FilestackNotFound,
    FilestackRateLimited,
    FilestackResponseError,
    FilestackServerError,
    FilestackTimeout,
    WorkflowFailed,
    WorkflowTimeout,
)
from .headers import VERSION as __version__
from .models import (
    CompleteResponse,
    FileMetadata,
    MultipartPartUrl,
    MultipartStart,
    StoredResult,
    StoreResponse,
    TaskResult,
    WorkflowDefinition,
    WorkflowRun,
    WorkflowStatus,
)
from .transform import Transformation
from .webhooks import WebhookError, verify_request

__all__ = [
    "ClientConfig",
    "CompleteResponse",
    "FileMetadata",
    "FilestackAuthError",
    "FilestackBadRequest",
    "FilestackClient",
    "FilestackConnectionError",
    "FilestackError",
    "FilestackHTTPError",
    "FilestackNotFound",
    "FilestackRateLimited",
    "FilestackResponseError",
    "FilestackServerError",
    "FilestackTimeout",
    "MultipartPartUrl",
    "MultipartStart",
    "Security",
    "StoreResponse",
    "StoredResult",
    "TaskResult",
    "Transformation",
    "WebhookError",
    "WorkflowDefinition",
    "WorkflowFailed",
    "WorkflowRun",
    "WorkflowStatus",
    "WorkflowTimeout",
    "__version__",
    "verify_request",
]
