"""The built-in readers: each module registers one :class:`~redline.sources.registry.SourceReader`.

Every module in this package is imported by :func:`redline.sources.registry.default_registry`, so a new
input format is one new module here (plus its tests). The format's own logic stays in its module of
:mod:`redline.sources` (``compose.py``, ``kubernetes.py``, ...); the modules here are thin adapters.
"""
