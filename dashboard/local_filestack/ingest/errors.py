"""What can go wrong while receiving a file; ``http.errors`` gives each its HTTP answer."""

from __future__ import annotations


class BadUpload(ValueError):
    """The upload request or its parts are malformed (400); the message says how."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UploadTooLarge(BadUpload):
    """A body over the configured upload limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"file is larger than the {limit}-byte upload limit")
        self.limit = limit


class UploadNotFound(LookupError):
    """No multipart upload session with this id (404)."""

    def __init__(self, upload_id: str) -> None:
        super().__init__(f"upload '{upload_id}' not found")
        self.upload_id = upload_id
