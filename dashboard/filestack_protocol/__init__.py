"""Pure logic of Filestack's protocol, shared by the client and the embedded service.

Nothing here performs I/O: the processing URL grammar, security policies and
their signatures, and webhook signatures.
"""
