"""Validation of every name and path a user or a file can hand us, before anything touches disk or database.

The rules are API.md's, which follow the wandb SDK where it has one (artifact names) and are stricter where it
is loose (file paths inside an artifact, which must never escape a download root).
"""

from __future__ import annotations

import json
import os
import math
import re
import unicodedata
from typing import Any
from urllib.parse import unquote

from core.errors import ValidationError

MAX_NAME = 128
MAX_METADATA_KEYS = 100
_ARTIFACT_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_RESERVED_VERSION = re.compile(r"^v[0-9]+$", re.ASCII)
_PROJECT_FORBIDDEN = set('/\\#?%:')
# relative, no empty part, no "%", "\\", ":" or control character: only "." and ".." parts remain to rule out
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_. -]+(?:/[A-Za-z0-9_. -]+)*")


MAX_COMPONENT_BYTES = 255   # what a filesystem takes for one name: a longer one could never be downloaded
MAX_JSON_DEPTH = 100
MAX_INT_DIGITS = 4000       # Python refuses to print longer ints (sys.int_info.default_max_str_digits = 4300)


def _has_control(text: str) -> bool:
    """Control characters, and lone surrogates (what os.fsdecode makes of bytes that are not UTF-8), which no
    UTF-8 database, JSON file or terminal can hold."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def check_text(value: object, what: str, *, limit: int | None = None) -> str | None:
    """A free-text field (description, notes, job type, run name): a string that UTF-8 can encode. None passes."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string, got {type(value).__name__}")
    if any(unicodedata.category(ch) == "Cs" for ch in value):
        raise ValidationError(f"{what} {value[:40]!r} holds a lone surrogate (bytes that are not UTF-8); "
                              "decode the text first")
    if limit is not None and len(value) > limit:
        raise ValidationError(f"{what} {value[:40]!r}... is {len(value)} characters; the limit is {limit}")
    return value


def check_artifact_name(name: object) -> str:
    if not isinstance(name, str) or not name:
        raise ValidationError(f"artifact name must be a non-empty string, got {name!r}")
    if len(name) > MAX_NAME:
        raise ValidationError(f"artifact name {name[:40]!r}... is {len(name)} characters; the limit is {MAX_NAME}")
    if not _ARTIFACT_NAME.match(name):
        raise ValidationError(
            f"artifact name {name!r} may only contain letters, digits, '_', '-' and '.'"
        )
    return name


def check_type(type_: object) -> str:
    if not isinstance(type_, str) or not type_:
        raise ValidationError(f"artifact type must be a non-empty string, got {type_!r}")
    if "/" in type_ or ":" in type_:
        raise ValidationError(f"artifact type {type_!r} may not contain '/' or ':'")
    if type_ == "job" or type_.startswith("wandb-"):
        raise ValidationError(f"artifact type {type_!r} is reserved by W&B; choose another")
    if _has_control(type_) or len(type_) > MAX_NAME:
        raise ValidationError(f"artifact type {type_!r} has control characters or is too long")
    return type_


def check_alias(alias: object, *, allow_latest: bool = False) -> str:
    if not isinstance(alias, str) or not alias:
        raise ValidationError(f"alias must be a non-empty string, got {alias!r}")
    if len(alias) > MAX_NAME:
        raise ValidationError(f"alias {alias[:40]!r}... is {len(alias)} characters; the limit is {MAX_NAME}")
    if "/" in alias or ":" in alias:
        raise ValidationError(f"alias {alias!r} may not contain '/' or ':'")
    if any(ch.isspace() for ch in alias) or _has_control(alias):
        raise ValidationError(f"alias {alias!r} may not contain whitespace or control characters")
    if alias == "latest" and not allow_latest:
        raise ValidationError("alias 'latest' is managed by the store: it always names the newest logged version")
    if _RESERVED_VERSION.match(alias):
        raise ValidationError(f"alias {alias!r} is reserved: names like v0, v1, ... are version numbers")
    return alias


_TAG = re.compile(r"^[-\w]+( +[-\w]+)*$")


def check_tags(tags: object) -> list[str]:
    """Artifact tags as the wandb SDK takes them: a string or a list of strings of letters, digits, '-' and '_',
    words separated by spaces; duplicates dropped, the first kept. -> the list."""
    items = [tags] if isinstance(tags, str) else list(tags or ())
    for tag in items:
        if not isinstance(tag, str) or not _TAG.match(tag) or len(tag) > MAX_NAME:
            raise ValidationError(f"artifact tag {tag!r} is not valid: tags hold letters, digits, '-' and '_', "
                                  "words separated by spaces")
    return list(dict.fromkeys(items))


def check_project(project: object) -> str:
    if not isinstance(project, str) or not project:
        raise ValidationError(f"project name must be a non-empty string, got {project!r}")
    if len(project) > MAX_NAME:
        raise ValidationError(f"project name {project[:40]!r}... is {len(project)} characters; the limit is {MAX_NAME}")
    bad = sorted(_PROJECT_FORBIDDEN.intersection(project))
    if bad:
        raise ValidationError(f"project name {project!r} may not contain {' '.join(bad)}")
    if _has_control(project):
        raise ValidationError(f"project name {project!r} may not contain control characters")
    return project


def check_group(group: object) -> str | None:
    """A W&B run group (`wandb.init(group=...)`): None, or a non-empty string of at most 128 characters without
    control characters (it is shown in the TUI and used to find a launch's runs)."""
    if group is None:
        return None
    if not isinstance(group, str) or not group.strip():
        raise ValidationError(f"run group must be a non-empty string, got {group!r}")
    if len(group) > MAX_NAME:
        raise ValidationError(f"run group {group[:40]!r}... is {len(group)} characters; the limit is {MAX_NAME}")
    if _has_control(group):
        raise ValidationError(f"run group {group!r} may not contain control characters")
    return group


def _check_path_parts(path: str, original: str) -> None:
    if path.startswith("/") or path.startswith("//"):
        raise ValidationError(f"artifact path {original!r} must be relative, not absolute")
    if "\\" in path:
        raise ValidationError(f"artifact path {original!r} may not contain backslashes; use '/'")
    if re.match(r"^[A-Za-z]:", path):
        raise ValidationError(f"artifact path {original!r} looks like a drive letter path")
    if "\x00" in path or _has_control(path):
        raise ValidationError(f"artifact path {original!r} may not contain NUL, control characters or bytes that "
                              "are not UTF-8")
    parts = path.split("/")
    if any(part == ".." for part in parts):
        raise ValidationError(f"artifact path {original!r} may not contain '..'")
    for part in parts:
        if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
            raise ValidationError(f"artifact path {original[:60]!r}...: the name {part[:40]!r}... is "
                                  f"{len(part.encode('utf-8'))} bytes; a file system takes at most "
                                  f"{MAX_COMPONENT_BYTES}, so it could never be downloaded")


def check_path(path: object) -> str:
    """A file path inside an artifact: relative POSIX, no traversal in any spelling. Returns it normalized
    (`a//b` and `./a` collapse; a trailing '/' is an error since a file needs a name)."""
    if isinstance(path, str) and _PLAIN_PATH.fullmatch(path):  # the common case, checked fast (add_dir of 10k)
        parts = path.split("/")
        if "." not in parts and ".." not in parts:
            return path
    if not isinstance(path, str) or not path:
        raise ValidationError(f"artifact path must be a non-empty string, got {path!r}")
    _check_path_parts(path, path)
    decoded = path
    while True:  # %25252e%25252e -> ... -> %2e%2e -> ..: decode until stable, checking every layer
        nxt = unquote(decoded)
        if nxt == decoded:
            break
        decoded = nxt
        _check_path_parts(decoded, path)
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if not parts or path.endswith("/"):
        raise ValidationError(f"artifact path {path!r} does not name a file")
    return "/".join(parts)


def _clean_json(value: Any, where: str, depth: int = 0) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise ValidationError(f"metadata {where or 'value'} is nested more than {MAX_JSON_DEPTH} levels deep "
                              "(or refers to itself)")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return check_text(value, f"metadata {where or 'value'}")
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_DIGITS * 3.33:
            raise ValidationError(f"metadata {where or 'value'} is an integer of more than {MAX_INT_DIGITS} digits; "
                                  "store it as a string")
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            raise ValidationError(f"metadata {where} is {value}; Infinity cannot be stored as JSON")
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"metadata {where} has a non-string key {key!r}")
            check_text(key, f"metadata key in {where or 'metadata'}")
            out[key] = _clean_json(item, f"{where}.{key}" if where else key, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_clean_json(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):  # numpy / torch scalars
        return _clean_json(value.item(), where, depth + 1)
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return _clean_json(tolist(), where, depth + 1)
    raise ValidationError(f"metadata {where or 'value'} of type {type(value).__name__} is not JSON-serializable")


def check_metadata(metadata: object) -> dict:
    """A JSON object of at most 100 keys; NaN becomes null; Infinity or an unserializable value is an error."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValidationError(f"metadata must be a dict (a JSON object), got {type(metadata).__name__}")
    if len(metadata) > MAX_METADATA_KEYS:
        raise ValidationError(f"metadata has {len(metadata)} keys; the limit is {MAX_METADATA_KEYS}")
    cleaned = _clean_json(metadata, "")
    json.dumps(cleaned, allow_nan=False)
    return cleaned


def clean_json_value(value: Any, where: str = "value") -> Any:
    """The same JSON cleaning for config, summary and history values (no key limit)."""
    return _clean_json(value, where)


def parse_ref(ref: str, project: str | None = None) -> tuple[str, str, str]:
    """'project/name:alias', 'name:alias', 'name' (-> latest), 'entity/project/name:alias' -> (project, name, alias).
    The one reference parser: every other form (`split_ref`, `parse_version_ref`) is built on it."""
    found, name, alias = split_ref(ref)
    project = found or project
    if project is None:
        raise ValidationError(f"artifact reference {ref!r} needs a project: write 'project/{ref}'")
    check_project(project)
    return project, name, alias


def parse_version_ref(ref: str) -> tuple[str, str, int]:
    """'project/name:vN' -> (project, name, N); anything else (an alias, no project) is a ValidationError."""
    project, name, alias = parse_ref(ref)
    if "/" not in ref or not is_version_alias(alias):
        raise ValidationError(f"{ref!r} is not a version reference (expected project/name:vN)")
    return project, name, int(alias[1:])


def split_ref(ref: str) -> tuple[str | None, str, str]:
    """(project or None, name, alias) of a reference whose project may be left out, validated."""
    if not isinstance(ref, str) or not ref:
        raise ValidationError(f"artifact reference must be a non-empty string, got {ref!r}")
    body, sep, alias = ref.rpartition(":") if ":" in ref else (ref, "", "latest")
    if sep and not alias:
        raise ValidationError(f"artifact reference {ref!r} has an empty alias after ':'")
    if ":" in body:
        raise ValidationError(f"artifact reference {ref!r} has more than one ':'; write 'project/name:alias'")
    parts = body.split("/")
    project: str | None = None
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) in (2, 3):  # entity/project/name as wandb writes it: the entity has no meaning offline
        project, name = parts[-2], parts[-1]
        check_project(project)
    else:
        raise ValidationError(f"artifact reference {ref!r} should look like 'project/name:alias'")
    check_artifact_name(name)
    if not _RESERVED_VERSION.match(alias):
        check_alias(alias, allow_latest=True)
    return project, name, alias


def is_version_alias(alias: str) -> bool:
    return bool(_RESERVED_VERSION.match(alias))


def is_within(path: str, directory: str) -> bool:
    """Whether the absolute path `path` is `directory` or lies under it, as strings (nothing resolved: callers
    pass real paths, or paths they made themselves)."""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)
