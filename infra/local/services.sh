#!/usr/bin/env bash
# Make sure MariaDB and Redis answer on 127.0.0.1; start them if installed but down, and say
# plainly what is missing otherwise.  Used by `make dev` and `.ci/run`.
set -u

mysql_up() { python3 - <<'PY' 2>/dev/null
import socket; s = socket.create_connection(("127.0.0.1", 3306), 1); s.close()
PY
}
redis_up() { python3 - <<'PY' 2>/dev/null
import socket; s = socket.create_connection(("127.0.0.1", 6379), 1); s.sendall(b"PING\r\n"); assert s.recv(16).startswith(b"+PONG"); s.close()
PY
}

wait_for() { # name, check function
  for _ in $(seq 1 30); do "$2" && return 0; sleep 1; done
  echo "services: $1 did not come up within 30 s" >&2; return 1
}

status=0
if ! mysql_up; then
  if [ -x /usr/sbin/mariadbd ]; then
    echo "services: starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd >/dev/null 2>&1 \
      || (/usr/sbin/mariadbd --user=mysql >/tmp/mariadbd.log 2>&1 &)
    wait_for MariaDB mysql_up || status=1
  else
    echo "services: MariaDB is not running on 127.0.0.1:3306 and is not installed (apt-get install mariadb-server)" >&2
    status=1
  fi
fi
if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "services: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null
    wait_for Redis redis_up || status=1
  else
    echo "services: Redis is not running on 127.0.0.1:6379 and is not installed (apt-get install redis-server)" >&2
    status=1
  fi
fi
[ $status -eq 0 ] && echo "services: MariaDB and Redis are up"
exit $status
