"""Local stand-ins for external HTTP services, speaking their real protocols, so `make dev` and
the tests run with no internet and the real adapter code path is exercised end to end."""
from __future__ import annotations

import socketserver


def serve_until_interrupted(server: socketserver.BaseServer, *banner: str) -> int:
    """A fake's command-line main loop: print where it listens, serve until Ctrl-C or SIGTERM's
    KeyboardInterrupt, close the socket.  Returns the exit status."""
    for line in banner:
        print(line, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
