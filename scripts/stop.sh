#!/usr/bin/env bash
# Stops exactly what scripts/start.sh started, by pid file (never by process name).
source "$(dirname "$0")/lib/common.sh"

stop_by_pidfile api
stop_by_pidfile identity
stop_postgres "$TQ_STATE_DIR/pg"
log "stopped"
