#!/usr/bin/env bash
# The performance benchmark: release builds of `bairro` and the bare reference server, a
# campaign seeded at scale on SQLite and on PostgreSQL, every hot path driven with wrk for a
# fixed time at 64 connections, rows checked after each phase, and the table written to
# bench/results/latest.md.
#
#   bench/run.sh              full sizes (100k visitors, 3M check-ins, 1.2M coupons, 1M redemptions)
#   bench/run.sh --quick      small sizes and 3-second phases: a smoke run (under 2 minutes)
#   bench/run.sh --sqlite-only | --postgres-only
#   bench/run.sh --dashboards  only campaign statistics at 64 connections and 200 live streams,
#                              3 times after a day's check-ins and page views (medians)
#   bench/run.sh -- --duration 20 --visitors 50000 …   (anything after -- goes to bairro-bench run)
#   bench/run.sh -- --runs 3   (each database seeded and measured 3 times; the table gives medians)
#   bench/run.sh -- --phases checkin,redemption   (only some phases: stats, checkin, redemption,
#                              storm, pageview, streams)
#
# Needs wrk (installed with apt-get when missing) and, for PostgreSQL, a local server that
# scripts/ensure-postgres can start (BAIRRO_TEST_PG names it; default postgres@127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

quick=""
dashboards=0
sqlite=1
postgres=1
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick="--quick" ;;
    --dashboards) dashboards=1 ;;
    --sqlite-only) postgres=0 ;;
    --postgres-only) sqlite=0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option $1 (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
  shift
done

if ! command -v wrk >/dev/null 2>&1; then
  echo "== installing wrk"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

echo "== release build (bairro, bairro-bench, bare)"
cargo build --release --quiet -p bairro -p bairro-bench

work=target/bench
rm -rf "$work"
mkdir -p "$work"
args=(run --work-dir "$work" --bin-dir target/release --started-at "$started"
      --command-line "bench/run.sh${quick:+ $quick}${extra[*]:+ -- ${extra[*]}}")
[ "$dashboards" = 1 ] && args=(dashboards --work-dir "$work" --bin-dir target/release)
[ -n "$quick" ] && args+=("$quick")

pg_db=""
cleanup() {
  if [ -n "$pg_db" ]; then
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
  fi
  rm -f "$work"/bench.db "$work"/bench.db-wal "$work"/bench.db-shm
  rm -rf "$work"/sqlite "$work"/postgresql "$work"/csv
}
trap cleanup EXIT

if [ "$sqlite" = 1 ]; then
  args+=(--sqlite "sqlite://$work/bench.db")
fi
if [ "$postgres" = 1 ]; then
  scripts/ensure-postgres ${CI:+--install}
  pg_admin="${BAIRRO_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
  if psql "$pg_admin" -tAc 'select 1' >/dev/null 2>&1; then
    pg_db="bairro_bench_$$"
    psql "$pg_admin" -qc "CREATE DATABASE $pg_db" >/dev/null
    args+=(--postgres "${pg_admin%/*}/$pg_db")
  else
    echo "PostgreSQL does not answer at $pg_admin: running on SQLite only" >&2
  fi
fi

target/release/bairro-bench "${args[@]}" "${extra[@]}"
echo "== done in $(( $(date +%s) - started )) s"
