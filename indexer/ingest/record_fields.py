"""Lifecycle and access fields stated by a JSONL record itself (they win over what the text says).

    {"id": "hr-7", "title": "…", "text": "…", "visibility": ["hr"], "status": "已废止",
     "effective_from": "2019-03-01", "effective_to": "", "supersedes": ["青人社〔2015〕3号"]}

A malformed value raises ``ValueError`` naming the field, so the record is reported as an error.
"""

from __future__ import annotations

import re
from typing import Any

from indexer.records import Document, Status

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_GROUP = re.compile(r"^[^\s,]{1,64}$")


def validate_groups(value: Any) -> list[str]:
    """A list of group names (no spaces or commas, at most 64 characters each)."""
    if not isinstance(value, list) or not all(isinstance(g, str) and _GROUP.match(g) for g in value):
        raise ValueError(f"visibility must be a list of group names without spaces or commas, got {value!r}")
    return list(dict.fromkeys(value))


def validate_field(name: str, value: Any) -> Any:
    if name == "visibility":
        return validate_groups(value)
    if name == "status":
        if value not in Status._value2member_map_:
            raise ValueError(f"status must be one of {', '.join(Status)}, got {value!r}")
        return value
    if name in ("effective_from", "effective_to"):
        if not isinstance(value, str) or (value and not _ISO_DATE.match(value)):
            raise ValueError(f"{name} must be a date written YYYY-MM-DD (or empty), got {value!r}")
        return value
    if name in ("supersedes", "superseded_by"):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError(f"{name} must be a list of 文号 or document ids, got {value!r}")
        return [v.strip() for v in value]
    raise ValueError(f"unknown field {name!r}")


RECORD_FIELDS = ("visibility", "status", "effective_from", "effective_to", "supersedes", "superseded_by")


def apply_record_fields(doc: Document, metadata: dict[str, Any]) -> Document:
    for name in RECORD_FIELDS:
        if name in metadata:
            setattr(doc, name, validate_field(name, metadata[name]))
    return doc
