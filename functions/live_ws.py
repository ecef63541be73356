"""Lambda behind the API Gateway WebSocket API of the admin panel: $connect, $default, $disconnect
(issue 13: live users).  Its own app, built for websockets only (no HTTP pipeline).  One Lambda
serves the three routes: `handler` passes each event to Chalice's handler of its route key (the
template integrates all three routes with it); the local server of `make dev`
(infra/local/ws_server.py) and the tests call these very objects."""
from typing import Any

from chalice import Chalice
from chalice.app import WebsocketEvent

from chalicelib.live.ws_handlers import on_connect, on_disconnect, on_message

app = Chalice(app_name="huglu-live-ws")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_connect()
def ws_connect(event: WebsocketEvent) -> dict[str, Any]:
    return on_connect(event.to_dict())


@app.on_ws_message()
def ws_message(event: WebsocketEvent) -> dict[str, Any]:
    return on_message(event.to_dict())


@app.on_ws_disconnect()
def ws_disconnect(event: WebsocketEvent) -> dict[str, Any]:
    return on_disconnect(event.to_dict())


# Chalice's decorators return its event handlers, typed loosely: hence Any.
_ROUTES: dict[str, Any] = {"$connect": ws_connect, "$disconnect": ws_disconnect}
_MESSAGE: Any = ws_message


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    route = str((event.get("requestContext") or {}).get("routeKey"))
    result: dict[str, Any] = _ROUTES.get(route, _MESSAGE)(event, context)
    return result
