#!/usr/bin/env bash
# Run the frozen app's --self-test offscreen on a fresh data folder, then remove that folder and its database.
#   build_spec/bundle-test.sh [dist/storyforge/storyforge]
# Exits with the self-test's status. As root the cluster lives outside the data folder (see
# <data dir>/postgres/cluster-location.txt); it is removed too.
set -euo pipefail

app=${1:-dist/storyforge/storyforge}
[[ -x $app ]] || { echo "bundle-test: $app not found; run 'make bundle' first." >&2; exit 2; }

data_dir=$(mktemp -d "${TMPDIR:-/tmp}/storyforge-bundle-test.XXXXXX")

stop_and_remove_cluster() {
    local cluster=$1 pid
    [[ -d $cluster ]] || return 0
    # A self-test that failed half-way may leave its server running: fast shutdown (SIGINT) before removing it.
    if [[ -f $cluster/postmaster.pid ]]; then
        pid=$(head -n 1 "$cluster/postmaster.pid")
        if [[ $pid =~ ^[0-9]+$ ]] && kill -INT "$pid" 2>/dev/null; then
            for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
    fi
    rm -rf -- "$cluster"
}

cleanup() {
    local pointer=$data_dir/postgres/cluster-location.txt
    if [[ -f $pointer ]]; then
        stop_and_remove_cluster "$(sed -n 's/^The PostgreSQL cluster for this folder is in //p' "$pointer")"
    fi
    stop_and_remove_cluster "$data_dir/postgres/cluster"
    rm -rf -- "$data_dir"
}
trap cleanup EXIT

started=$(date +%s.%N)
status=0
QT_QPA_PLATFORM=offscreen "$app" --self-test --data-dir "$data_dir" || status=$?
finished=$(date +%s.%N)
awk -v app="$app" -v status="$status" -v s="$started" -v f="$finished" \
    'BEGIN { printf "bundle-test: %s exited %d after %.2f s\n", app, status, f - s }'
exit "$status"
