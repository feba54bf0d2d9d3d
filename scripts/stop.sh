#!/usr/bin/env bash
# Stops exactly what scripts/start.sh started, by pid file (never by process name). RabbitMQ only
# when start.sh started it (it leaves a marker then): a node that was already running stays up.
source "$(dirname "$0")/lib/common.sh"

stop_by_pidfile webhooks
stop_by_pidfile worker
stop_by_pidfile api
stop_by_pidfile identity
stop_by_pidfile localstripe # its objects are in memory: the next start.sh begins with an empty one
stop_postgres "$TQ_STATE_DIR/pg"
if [ -f "$TQ_RUN_DIR/rabbitmq.started" ]; then
  stop_rabbitmq
  rm -f "$TQ_RUN_DIR/rabbitmq.started"
fi
log "stopped"
