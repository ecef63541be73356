"""Local stand-ins for external HTTP services, speaking their real protocols, so `make dev` and
the tests run with no internet and the real adapter code path is exercised end to end."""
