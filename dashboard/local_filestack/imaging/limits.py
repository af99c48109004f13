"""The caps checked from every image's header before it is decoded (the service's ``ImageLimits``)."""

from __future__ import annotations

from dashboard.local_filestack.config.limits import ImageLimits as Limits

__all__ = ["Limits"]
