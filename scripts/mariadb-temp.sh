#!/usr/bin/env bash
# Starts (or stops) a throwaway MariaDB on a loopback port, for tests and CI only.
#   scripts/mariadb-temp.sh start <dir> <port>   -> prints the connection URL on stdout
#   scripts/mariadb-temp.sh stop  <dir>
# As root, the server runs as the `mysql` user, with its data dir and socket inside <dir>, which
# `mysql` owns. The URL's user has every privilege on the database `m2m_auth_test` and may create
# other databases (tests make one per case).
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data dir}
as_mysql() {
  if [ "$(id -u)" = 0 ]; then runuser -u mysql -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    port=${3:?port}
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown mysql "$dir"; chmod 700 "$dir"; fi
    as_mysql mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
      --skip-test-db >"$dir/install.log" 2>&1
    as_mysql bash -c "exec mariadbd --no-defaults --datadir='$dir/data' --socket='$dir/mysqld.sock' \
      --pid-file='$dir/mysqld.pid' --bind-address=127.0.0.1 --port=$port --skip-name-resolve \
      --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=32M --skip-log-bin \
      >'$dir/server.log' 2>&1 &"
    for _ in $(seq 1 120); do
      if mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -u root ping >/dev/null 2>&1; then break; fi
      sleep 0.5
    done
    mariadb --no-defaults --socket="$dir/mysqld.sock" -u root -e "
      CREATE DATABASE m2m_auth_test;
      CREATE USER 'm2m'@'127.0.0.1' IDENTIFIED BY 'm2m-test';
      GRANT ALL PRIVILEGES ON *.* TO 'm2m'@'127.0.0.1';"
    echo "mysql://m2m:m2m-test@127.0.0.1:$port/m2m_auth_test"
    ;;
  stop)
    if [ -S "$dir/mysqld.sock" ]; then
      mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -u root shutdown >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop <dir> [port]" >&2; exit 2 ;;
esac
