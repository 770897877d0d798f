#!/usr/bin/env bash
# Memory soak: one release `bairro serve` under mixed load (page views, visitor journeys with
# check-ins, claims, redemptions, replays and voids, officials' statistics and exports, staff
# logins, fuzzer-style junk) for a long time, its resident memory sampled every few seconds.
# Prints the peak and final RSS and fails when the peak passes 100 MB, on any 5xx, or when a
# page view answered 202 is missing after the graceful stop. Writes bench/results/soak.md.
#
#   bench/soak.sh                         60 minutes, 8 clients, SQLite
#   bench/soak.sh --postgres              the same on a scratch PostgreSQL database
#   bench/soak.sh -- --minutes 5 --rate 400 --connections 4    (after -- to bairro-bench soak)
set -euo pipefail
cd "$(dirname "$0")/.."
args_given="$*"
backend=sqlite
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) backend=postgres ;;
    --sqlite) backend=sqlite ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
  shift
done

echo "== release build (bairro, bairro-bench)"
cargo build --release --quiet -p bairro -p bairro-bench

work=target/soak
mkdir -p "$work"
# The server under test is a copy, so rebuilding during a long soak changes nothing.
cp target/release/bairro "$work/bairro"
pg_db=""
cleanup() {
  if [ -n "$pg_db" ]; then
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -f "$work"/soak.db "$work"/soak.db-wal "$work"/soak.db-shm
}
trap cleanup EXIT
case "$backend" in
  sqlite)
    rm -f "$work"/soak.db*
    url="sqlite://$work/soak.db" ;;
  postgres)
    scripts/ensure-postgres ${CI:+--install}
    pg_admin="${BAIRRO_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
    pg_db="bairro_soak_$$"
    psql "$pg_admin" -qc "CREATE DATABASE $pg_db" >/dev/null
    url="${pg_admin%/*}/$pg_db" ;;
esac
target/release/bairro-bench soak --database-url "$url" --bin-dir "$work" --work-dir "$work" \
  --command-line "bench/soak.sh${args_given:+ $args_given}" "${extra[@]}"
