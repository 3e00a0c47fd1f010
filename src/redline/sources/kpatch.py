"""kustomize's patches on parsed YAML: strategic merge (the API's patchMergeKey rules) and JSON 6902.

Both work on :class:`~redline.sources.yamlio.LineDict`/``LineList`` trees and keep provenance: every value
a patch sets is stamped with the patch's file (``key_files``) and line (``key_lines``/``item_lines``), so a
reader cites the patch file:line for what the patch set and the base file:line for what the base said.
A node copied whole from a patch also carries its file under the key ``None`` (read by
:meth:`redline.sources.diagnostics.Reader.src`). Nothing here raises: a problem comes back as a message.
"""

from __future__ import annotations

from typing import Any

from redline.sources.yamlio import LineDict, LineList

#: List fields merged item by item, and the key that identifies an item (the API's patchMergeKey).
#: Any other list is replaced whole, as the strategic merge patch does without a merge strategy.
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "conditions": "type",
    "ownerReferences": "uid",
}
#: API groups whose kinds kustomize knows the schema of; a CRD's lists are replaced whole.
BUILTIN_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "networking.k8s.io",
        "extensions",
        "rbac.authorization.k8s.io",
    }
)
DIRECTIVE = "$patch"


def is_builtin(doc: Any) -> bool:
    """Whether the object's apiVersion is a built-in group (strategic merge keys apply)."""
    api = doc.get("apiVersion") if isinstance(doc, dict) else None
    return isinstance(api, str) and (api.split("/", 1)[0] if "/" in api else "") in BUILTIN_GROUPS


def stamped(value: Any, rel: str) -> Any:
    """A copy of ``value`` with every key (and every mapping itself) cited to file ``rel``."""
    if isinstance(value, dict):
        copy = LineDict()
        copy.line = getattr(value, "line", None)
        lines = getattr(value, "key_lines", {})
        for k, v in value.items():
            if isinstance(k, str) and k.startswith("$"):
                continue  # a directive is not data
            copy[k] = stamped(v, rel)
            if k in lines:
                copy.key_lines[k] = lines[k]
            copy.key_files[k] = rel
        copy.key_files[None] = rel
        return copy
    if isinstance(value, list):
        items = LineList(stamped(v, rel) for v in value if not _is_directive_item(v))
        items.line = getattr(value, "line", None)
        old = getattr(value, "item_lines", [])
        items.item_lines = [old[i] for i, v in enumerate(value) if i < len(old) and not _is_directive_item(v)]
        return items
    return value


def copied(value: Any) -> Any:
    """A deep copy keeping lines and files (depth is bounded by the YAML layer)."""
    if isinstance(value, dict):
        copy = LineDict((k, copied(v)) for k, v in value.items())
        copy.line = getattr(value, "line", None)
        copy.key_lines = dict(getattr(value, "key_lines", {}))
        copy.key_files = dict(getattr(value, "key_files", {}))
        return copy
    if isinstance(value, list):
        items = LineList(copied(v) for v in value)
        items.line = getattr(value, "line", None)
        items.item_lines = list(getattr(value, "item_lines", []))
        return items
    return value


def _is_directive_item(value: Any) -> bool:
    """A list item that is only a directive, or deletes itself: not data once the patch is applied."""
    return isinstance(value, dict) and (set(value) == {DIRECTIVE} or value.get(DIRECTIVE) == "delete")


# ---------------------------------------------------------------------------------------------- strategic


def merge(base: LineDict, patch: dict[Any, Any], rel: str, builtin: bool) -> LineDict | None:
    """``patch`` merged into ``base`` (in place) as a strategic merge patch; None when it deletes ``base``.

    Maps merge key by key, ``null`` deletes a key, lists with a merge key merge item by item (``$patch:
    delete`` on an item removes it), other lists are replaced; ``$patch: replace`` replaces a map or list,
    ``$patch: delete`` on a map deletes it.
    """
    directive = patch.get(DIRECTIVE)
    if directive == "delete":
        return None
    if directive == "replace":
        replaced = stamped(patch, rel)
        replaced.key_files.pop(None, None)
        return replaced
    for key, value in patch.items():
        if isinstance(key, str) and key.startswith("$"):
            continue
        _merge_key(base, key, value, patch, rel, builtin)
    return base


def _merge_key(base: LineDict, key: Any, value: Any, patch: dict[Any, Any], rel: str, builtin: bool) -> None:
    current = base.get(key)
    if value is None:
        base.pop(key, None)
        return
    if isinstance(value, dict) and isinstance(current, LineDict):
        merged = merge(current, value, rel, builtin)
        if merged is None:
            base.pop(key, None)
        else:
            base[key] = merged
        return
    if isinstance(value, list) and isinstance(current, LineList):
        base[key] = _merge_list(str(key), current, value, rel, builtin)
        return
    if isinstance(value, dict) and value.get(DIRECTIVE) == "delete":
        return  # deleting what is not there
    base[key] = stamped(value, rel)
    line = getattr(patch, "key_lines", {}).get(key)
    if line is not None:
        base.key_lines[key] = line
    base.key_files[key] = rel


def _merge_list(field: str, base: LineList, patch: list[Any], rel: str, builtin: bool) -> LineList:
    if any(isinstance(v, dict) and v.get(DIRECTIVE) == "replace" for v in patch):
        return stamped(patch, rel)
    key = _merge_key_of(field, base, patch) if builtin else None
    if key is None:
        return stamped(patch, rel)
    result = copied(base)
    lines = getattr(patch, "item_lines", [])
    for i, item in enumerate(patch):
        at = _index_of(result, key, item.get(key)) if isinstance(item, dict) else None
        if isinstance(item, dict) and item.get(DIRECTIVE) == "delete":
            if at is not None:
                del result[at]
                del result.item_lines[at : at + 1]
            continue
        if at is not None and isinstance(result[at], LineDict):
            merged = merge(result[at], item, rel, builtin)
            if merged is not None:
                result[at] = merged
            continue
        result.append(stamped(item, rel))
        result.item_lines.append(lines[i] if i < len(lines) else (result.line or 0))
    return result


def _merge_key_of(field: str, base: list[Any], patch: list[Any]) -> str | None:
    if field == "ports":  # a container's ports merge by containerPort, a Service's by port
        items = [v for v in (*base, *patch) if isinstance(v, dict)]
        return "containerPort" if any("containerPort" in v for v in items) else "port"
    return MERGE_KEYS.get(field)


def _index_of(items: list[Any], key: str, value: Any) -> int | None:
    if value is None:
        return None
    return next((i for i, v in enumerate(items) if isinstance(v, dict) and v.get(key) == value), None)


# ---------------------------------------------------------------------------------------------- JSON 6902

OPS = ("add", "remove", "replace", "move", "copy", "test")


class PatchError(ValueError):
    """An operation that cannot apply (the message says which path and why)."""


def apply_json6902(doc: LineDict, ops: list[Any], rel: str) -> tuple[LineDict, str | None, int | None]:
    """``ops`` applied to a copy of ``doc``: (result, None, None), or (``doc`` unchanged, the error, the line
    of the failing operation). As RFC 6902 says, a patch applies whole or not at all."""
    work = copied(doc)
    lines = getattr(ops, "item_lines", [])
    for i, op in enumerate(ops):
        line = lines[i] if i < len(lines) else None
        try:
            _apply_op(work, op, rel)
        except PatchError as exc:
            return doc, str(exc), line
    return work, None, None


def _apply_op(doc: LineDict, op: Any, rel: str) -> None:
    if not isinstance(op, dict) or op.get("op") not in OPS or not isinstance(op.get("path"), str):
        raise PatchError(f"expected an operation ({'/'.join(OPS)}) with a string path, got {_short(op)}")
    kind, path = op["op"], _pointer(op["path"])
    value_line = getattr(op, "key_lines", {}).get("value")
    if kind in ("move", "copy"):
        source = op.get("from")
        if not isinstance(source, str):
            raise PatchError(f"{kind} {op['path']}: `from` must be a path")
        value = copied(_get(doc, _pointer(source)))
        if kind == "move":
            _remove(doc, _pointer(source))
        _add(doc, path, value, None, rel)
    elif kind == "test":
        if _get(doc, path) != op.get("value"):
            raise PatchError(f"test {op['path']}: the value differs")
    elif kind == "remove":
        _remove(doc, path)
    else:
        if "value" not in op:
            raise PatchError(f"{kind} {op['path']}: no `value`")
        if kind == "replace":
            _get(doc, path)  # must exist
        _add(doc, path, stamped(op["value"], rel), value_line, rel, replace=kind == "replace")


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"path {path!r} must start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _get(doc: Any, parts: list[str]) -> Any:
    node = doc
    for i, part in enumerate(parts):
        node = _child(node, part, parts[: i + 1])
    return node


def _child(node: Any, part: str, where: list[str]) -> Any:
    if isinstance(node, dict):
        if part not in node:
            raise PatchError(f"no {'/' + '/'.join(where)} in the target")
        return node[part]
    if isinstance(node, list):
        index = _index(part, len(node), where)
        if index >= len(node):
            raise PatchError(f"no {'/' + '/'.join(where)} in the target (the list has {len(node)} items)")
        return node[index]
    raise PatchError(f"no {'/' + '/'.join(where)} in the target (a value, not a mapping or list)")


def _index(part: str, size: int, where: list[str]) -> int:
    if part == "-":
        return size
    if not part.isascii() or not part.isdigit() or (len(part) > 1 and part[0] == "0") or len(part) > 9:
        raise PatchError(f"{'/' + '/'.join(where)}: {part!r} is not a list index")
    return int(part)


def _add(
    doc: LineDict, parts: list[str], value: Any, line: int | None, rel: str, replace: bool = False
) -> None:
    if not parts:
        raise PatchError("cannot replace the whole object")
    parent = _get(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, LineDict):
        parent[last] = value
        if line is not None:
            parent.key_lines[last] = line
        parent.key_files[last] = rel
    elif isinstance(parent, LineList):
        index = _index(last, len(parent), parts)
        if index > len(parent) or (replace and index >= len(parent)):
            raise PatchError(f"{'/' + '/'.join(parts)}: index beyond the list ({len(parent)} items)")
        if replace:
            parent[index] = value
            if index < len(parent.item_lines) and line is not None:
                parent.item_lines[index] = line
        else:
            parent.insert(index, value)
            parent.item_lines.insert(index, line or parent.line or 0)
    else:
        raise PatchError(f"{'/' + '/'.join(parts[:-1])} is a value, not a mapping or list")


def _remove(doc: LineDict, parts: list[str]) -> None:
    if not parts:
        raise PatchError("cannot remove the whole object")
    parent = _get(doc, parts[:-1])
    _child(parent, parts[-1], parts)  # must exist
    if isinstance(parent, dict):
        del parent[parts[-1]]
    else:
        index = int(parts[-1])
        del parent[index]
        del parent.item_lines[index : index + 1]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
