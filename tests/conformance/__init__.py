"""Conformance: the official Filestack SDKs and Filestack's request shapes against the embedded service."""
