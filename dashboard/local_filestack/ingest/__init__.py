"""Receiving a file: the body within the size cap, form and url= uploads (through the SSRF guard), multipart sessions, what the bytes are."""
