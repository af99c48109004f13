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
    FilestackConflict,
    FilestackConnectionError,
    FilestackError,
    FilestackHTTPError,
    FilestackNotFound,
    FilestackRateLimited,
    FilestackResponseError,
    FilestackServerError,
    FilestackTimeout,
    WorkflowFailed,
    WorkflowRejected,
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
    WorkflowRun,
    WorkflowStatus,
    stored_outputs,
)
from .transform import Transformation
from .webhooks import WebhookError, verify_request
from .workflow_errors import FieldProblem, locate_problems
from .workflow_models import (
    ActionContract,
    Condition,
    ConditionType,
    Job,
    JobPage,
    JobQuery,
    JobState,
    JobStatusInfo,
    QuarantinedFile,
    Requirement,
    TaskProgress,
    TaskSpec,
    TaskState,
    WebhookAttempt,
    WebhookLog,
    Workflow,
    WorkflowSpec,
)
from .workflows_api import WorkflowsApi

__all__ = [
    "ActionContract",
    "ClientConfig",
    "CompleteResponse",
    "Condition",
    "ConditionType",
    "FieldProblem",
    "FileMetadata",
    "FilestackAuthError",
    "FilestackBadRequest",
    "FilestackClient",
    "FilestackConflict",
    "FilestackConnectionError",
    "FilestackError",
    "FilestackHTTPError",
    "FilestackNotFound",
    "FilestackRateLimited",
    "FilestackResponseError",
    "FilestackServerError",
    "FilestackTimeout",
    "Job",
    "JobPage",
    "JobQuery",
    "JobState",
    "JobStatusInfo",
    "MultipartPartUrl",
    "MultipartStart",
    "QuarantinedFile",
    "Requirement",
    "Security",
    "StoreResponse",
    "StoredResult",
    "TaskProgress",
    "TaskResult",
    "TaskSpec",
    "TaskState",
    "Transformation",
    "WebhookAttempt",
    "WebhookError",
    "WebhookLog",
    "Workflow",
    "WorkflowFailed",
    "WorkflowRejected",
    "WorkflowRun",
    "WorkflowSpec",
    "WorkflowStatus",
    "WorkflowTimeout",
    "WorkflowsApi",
    "__version__",
    "locate_problems",
    "stored_outputs",
    "verify_request",
]
