#!/usr/bin/env bash
# The test suite runs against a real PostgreSQL; say clearly how to get one when it is missing.
set -euo pipefail
url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/mcportal}"
if ! .venv/bin/python - "$url" <<'PY' >/dev/null 2>&1
import sys, psycopg
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                password=u.password, dbname="postgres", connect_timeout=3).close()
PY
then
  echo "The tests need PostgreSQL at $url (user with CREATEDB)." >&2
  echo "Start it, e.g.: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
  echo "or: docker compose up -d postgres   (then DATABASE_URL=postgres://mcportal:mcportal@127.0.0.1:5432/mcportal)" >&2
  exit 1
fi
