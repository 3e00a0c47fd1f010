"""Deterministic YAML for generated files: keys in the order written, multi-line strings as blocks."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["dump", "dump_all"]


class _Dumper(yaml.SafeDumper):
    """Block scalars for multi-line text (PromQL reads as written); never aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)


def dump(data: Any, header: str = "") -> str:
    """``data`` as one YAML document, after ``header`` (comment lines, each starting with ``#``)."""
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    return header + body


def dump_all(documents: list[Any], header: str = "") -> str:
    """Several documents separated by ``---``."""
    body = yaml.dump_all(
        documents, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, explicit_start=True
    )
    return header + body
