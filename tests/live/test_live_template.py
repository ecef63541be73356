"""The deployable shape of live users: a WebSocket API in front of functions/live_ws.py, and push
rights (ManageConnections + WS_ENDPOINT_URL) for the functions that push."""
from __future__ import annotations

import pytest

from infra import resources as R
from infra.functions import Function, Schedule
from infra.template import build_template


def _functions() -> list[Function]:
    return [
        Function(name="live", routes=(("/api/live-users/register", "POST"),), schedules=(), queues=()),
        Function(name="live_sweep", routes=(), schedules=(Schedule("live_sweep", "rate(1 minute)", ""),), queues=()),
        Function(name="live_ws", routes=(), schedules=(), queues=(),
                 websocket_routes=("$connect", "$default", "$disconnect")),
    ]


@pytest.fixture
def access(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R, "ACCESS", {name: R.ACCESS[name] for name in ("live", "live_sweep", "live_ws")})


def test_the_websocket_api_routes_every_key_to_the_one_function(access):
    template = build_template(_functions())
    resources = template["Resources"]
    assert resources["WebSocketApi"]["Properties"]["ProtocolType"] == "WEBSOCKET"
    routes = {r["Properties"]["RouteKey"] for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Route"}
    assert routes == {"$connect", "$default", "$disconnect"}
    assert "LiveWsFunction.Arn" in resources["WebSocketIntegration"]["Properties"]["IntegrationUri"]["Fn::Sub"]
    assert resources["LiveWsFunction"]["Properties"]["Handler"] == "functions/live_ws.handler"
    assert resources["WebSocketInvokePermission"]["Properties"]["FunctionName"] == {"Ref": "LiveWsFunction"}
    assert template["Outputs"]["WebSocketUrl"]["Value"]["Fn::Sub"].startswith("wss://${WebSocketApi}")


def test_pushing_functions_get_the_endpoint_and_only_manage_connections(access):
    resources = build_template(_functions())["Resources"]
    for fid in ("LiveFunction", "LiveSweepFunction", "LiveWsFunction"):
        env = resources[fid]["Properties"]["Environment"]["Variables"]
        assert "${WebSocketApi}" in env["WS_ENDPOINT_URL"]["Fn::Sub"]
        statements = resources[fid + "Role"]["Properties"]["Policies"][0][
            "PolicyDocument"]["Statement"]
        [push] = [s for s in statements if s["Sid"] == "WebSocketPush"]
        assert push["Action"] == ["execute-api:ManageConnections"]
        assert push["Resource"]["Fn::Sub"].endswith("${WebSocketApi}/v1/*/@connections/*")


def test_a_websocket_grant_without_a_websocket_function_is_refused(access, monkeypatch):
    monkeypatch.setattr(R, "ACCESS", {name: R.ACCESS[name] for name in ("live", "live_sweep")})
    with pytest.raises(ValueError, match="no function serves WebSocket routes"):
        build_template(_functions()[:2])
