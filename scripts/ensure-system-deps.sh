#!/usr/bin/env bash
# Makes sure the system packages the tests need are present: MariaDB and PostgreSQL servers
# (the tests start their own throwaway instances) and Chromium (browser tests). Installs them when run
# as root with apt-get; otherwise prints the exact command and fails.
set -euo pipefail

missing=()
if [ -z "${TEST_MYSQL_URL:-}" ] && ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
  missing+=(mariadb-server)
fi
if [ -z "${TEST_POSTGRES_URL:-}" ] && ! command -v initdb >/dev/null \
  && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  missing+=(postgresql)
fi
if [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} (needed by the tests)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "The tests need: ${missing[*]}. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  echo "(or point TEST_MYSQL_URL / TEST_POSTGRES_URL at servers you may create databases on)" >&2
  exit 1
fi
