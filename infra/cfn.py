"""CloudFormation intrinsic functions as JSON, shared by the template builders (template.py, ml_service.py)."""
from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def _sub(text: str) -> Json:
    return {"Fn::Sub": text}


def _ref(name: str) -> Json:
    return {"Ref": name}


def _arn(logical_id: str) -> Json:
    return {"Fn::GetAtt": [logical_id, "Arn"]}
