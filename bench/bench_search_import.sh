#!/bin/bash
# The whole `openpoam import` of one .nessus into a fresh database, in a fresh process,
# under /usr/bin/time -v (wall, user + system CPU, peak RSS): the cost of the search index
# on a bulk import (bench/README.md, "Search index on imports").
#
#   python bench/gen_nessus.py --hosts 1000 --findings-per-host 100 --out big.nessus --seed 21
#   bench/bench_search_import.sh big.nessus [postgresql://postgres@127.0.0.1:5432/openpoam_bench]
#
# With a PostgreSQL URL the database named in it is dropped and created first. The CPU
# figures are this process's only: on PostgreSQL the triggers run in the server.
set -euo pipefail
FILE=$(realpath "$1"); DB=${2:-}
CODE=$(cd "$(dirname "$0")/.." && pwd)
OPENPOAM=${OPENPOAM:-openpoam}
export PYTHONPATH=$CODE OPENPOAM_DATA_DIR=$(mktemp -d)
if [ -n "$DB" ]; then
  export DATABASE_URL=$DB
  psql -q "${DB%/*}/postgres" -c "DROP DATABASE IF EXISTS ${DB##*/}" -c "CREATE DATABASE ${DB##*/}"
fi
"$OPENPOAM" setup >/dev/null
"$OPENPOAM" org create acme --name Acme >/dev/null
"$OPENPOAM" system create enclave --org acme --name Enclave --framework cmmc-l2 >/dev/null
/usr/bin/time -v "$OPENPOAM" import "$FILE" --org acme --system enclave 2>"$OPENPOAM_DATA_DIR/time" >/dev/null
grep -E "Elapsed|User time|System time|Maximum resident" "$OPENPOAM_DATA_DIR/time"
echo "database left in $OPENPOAM_DATA_DIR"
