#!/usr/bin/env bash
# Runs Mesh's backing services natively, without Docker: PostgreSQL and Redis from the
# distribution's packages, and Apache Kafka (KRaft, one node) on Java from the official jars on
# Maven Central. For CI, for the tests on machines without a Docker engine, and for running the
# services natively during development.
#
#   scripts/services.sh start [postgres|redis|kafka ...]   install what is missing, start, wait until serving
#   scripts/services.sh stop [postgres|redis|kafka ...]
#   scripts/services.sh restart [postgres|redis|kafka ...]
#   scripts/services.sh status
#   scripts/services.sh env      print `export MESH_TEST_…=` lines:  eval "$(scripts/services.sh env)"
#
# Everything listens on 127.0.0.1 only, on ports away from the defaults so a PostgreSQL, Redis or
# Kafka that already runs on this machine is left alone:
#   PostgreSQL 127.0.0.1:${MESH_POSTGRES_PORT:-15432}   user mesh, password mesh, database mesh
#   Redis      127.0.0.1:${MESH_REDIS_PORT:-16379}
#   Kafka      127.0.0.1:${MESH_KAFKA_PORT:-19092}      (its KRaft controller on the next port)
#
# Data and logs live in ${MESH_STATE_DIR:-~/.local/state/mesh}; downloaded jars in
# ${MESH_CACHE_DIR:-~/.cache/mesh}. PostgreSQL refuses to run as root, so as root it runs as the
# `postgres` user that the Debian package creates, with its data in /var/lib/postgresql/mesh
# (MESH_POSTGRES_DATA_DIR overrides where the cluster lives).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${MESH_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/mesh}"
CACHE="${MESH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh}"
PG_PORT="${MESH_POSTGRES_PORT:-15432}"
REDIS_PORT="${MESH_REDIS_PORT:-16379}"
KAFKA_PORT="${MESH_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
KAFKA_POM="$ROOT/infra/kafka/native/pom.xml"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_POM")"
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
KAFKA_STATE="$STATE/kafka"
REDIS_STATE="$STATE/redis"
ALL=(postgres redis kafka)

log() { echo "services: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# --- privileges -------------------------------------------------------------------------------

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# PostgreSQL's server programs refuse to run as root.
pg_user_is_postgres() { [ "$(id -u)" -eq 0 ]; }

as_pg() {
  if pg_user_is_postgres; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_data_dir() {
  if [ -n "${MESH_POSTGRES_DATA_DIR:-}" ]; then
    echo "$MESH_POSTGRES_DATA_DIR"
  elif pg_user_is_postgres; then
    echo /var/lib/postgresql/mesh
  else
    echo "$STATE/postgres"
  fi
}

# --- installation -----------------------------------------------------------------------------

pg_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && echo "$dir"
}

apt_install() {
  log "installing $* from the distribution's packages"
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* yourself"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # Debian's packages try to start their own system-wide server; ours run on other ports, so
  # that attempt (which fails without an init system) is harmless either way.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

ensure_packages() {
  local wanted=()
  for service in "$@"; do
    case "$service" in
      postgres) pg_bin_dir >/dev/null || wanted+=(postgresql) ;;
      redis) command -v redis-server >/dev/null 2>&1 || wanted+=(redis-server) ;;
      kafka)
        command -v java >/dev/null 2>&1 || die "Kafka needs Java 17 or newer on PATH"
        if [ ! -f "$KAFKA_HOME/libs/kafka_2.13-$KAFKA_VERSION.jar" ]; then
          command -v mvn >/dev/null 2>&1 || wanted+=(maven)
        fi
        ;;
    esac
  done
  if [ "${#wanted[@]}" -gt 0 ]; then apt_install "${wanted[@]}"; fi
}

fetch_kafka() {
  [ -f "$KAFKA_HOME/libs/kafka_2.13-$KAFKA_VERSION.jar" ] && return
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_HOME/libs"
  rm -rf "$KAFKA_HOME.partial"
  mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_HOME.partial/libs" >&2
  rm -rf "$KAFKA_HOME"
  mv "$KAFKA_HOME.partial" "$KAFKA_HOME"
}

# --- helpers ----------------------------------------------------------------------------------

# wait_until <seconds> <what> <command...>: retries the command every half second.
wait_until() {
  local seconds="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$what did not come up within ${seconds}s"
      return 1
    fi
    sleep 0.5
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- PostgreSQL -------------------------------------------------------------------------------

PG_URL="postgres://mesh:mesh@127.0.0.1:$PG_PORT/mesh"

pg_running() {
  local bin
  bin="$(pg_bin_dir)" || return 1
  as_pg "$bin/pg_ctl" -D "$(pg_data_dir)" status >/dev/null 2>&1
}

pg_serves() { PGPASSWORD=mesh psql "$PG_URL" -Atqc 'SELECT 1' | grep -qx 1; }

start_postgres() {
  local bin data
  bin="$(pg_bin_dir)" || die "PostgreSQL server programs not found"
  data="$(pg_data_dir)"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating a PostgreSQL cluster in $data"
    as_root mkdir -p "$data"
    if pg_user_is_postgres; then chown postgres:postgres "$data"; fi
    local pwfile
    pwfile="$(mktemp)"
    echo mesh >"$pwfile"
    if pg_user_is_postgres; then chown postgres "$pwfile"; fi
    # Passwords over TCP (as the services connect), trust on the private socket for this script.
    as_pg "$bin/initdb" -D "$data" -U mesh --pwfile="$pwfile" --auth-host=scram-sha-256 \
      --auth-local=trust -E UTF8 --locale=C.UTF-8 >&2
    rm -f "$pwfile"
  fi
  if pg_running; then
    log "PostgreSQL already running"
  else
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    # fsync off: this cluster is for development and tests, where a power cut losing the last
    # seconds is acceptable and disk syncs would dominate test time. Never do this in production.
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $data -c fsync=off \
          -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >&2
  fi
  wait_until 60 PostgreSQL as_pg "$bin/pg_isready" -q -h "$data" -p "$PG_PORT" ||
    die "PostgreSQL does not start; see $data/server.log"
  if ! as_pg psql -h "$data" -p "$PG_PORT" -U mesh -d postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = 'mesh'" | grep -qx 1; then
    as_pg psql -h "$data" -p "$PG_PORT" -U mesh -d postgres -qc 'CREATE DATABASE mesh' >&2
  fi
  pg_serves || die "PostgreSQL does not answer at $PG_URL; see $data/server.log"
  log "PostgreSQL $(PGPASSWORD=mesh psql "$PG_URL" -Atqc 'SHOW server_version') serves at $PG_URL"
}

stop_postgres() {
  local bin
  bin="$(pg_bin_dir)" || return 0
  if pg_running; then
    log "stopping PostgreSQL"
    as_pg "$bin/pg_ctl" -D "$(pg_data_dir)" -m fast -w stop >&2
  fi
}

# --- Redis ------------------------------------------------------------------------------------

REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

redis_serves() { [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

start_redis() {
  mkdir -p "$REDIS_STATE"
  if redis_serves; then
    log "Redis already running"
  else
    log "starting Redis on 127.0.0.1:$REDIS_PORT"
    # A cache and idempotency store for Mesh; tests do not need it to survive a restart.
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
      --pidfile "$REDIS_STATE/redis.pid" --logfile "$REDIS_STATE/redis.log" --dir "$REDIS_STATE" \
      --save '' --appendonly no >&2
  fi
  wait_until 30 Redis redis_serves || die "Redis does not answer; see $REDIS_STATE/redis.log"
  log "Redis $(redis-cli -p "$REDIS_PORT" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p') serves at $REDIS_URL"
}

stop_redis() {
  if redis_serves; then
    log "stopping Redis"
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    wait_until 15 "Redis shutdown" bash -c "! redis-cli -p $REDIS_PORT ping" || true
  fi
}

# --- Kafka ------------------------------------------------------------------------------------

KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"

kafka_java() {
  java -Xms64m -Xmx256m -Dlog4j2.configurationFile="$KAFKA_STATE/tools-log4j2.properties" \
    -cp "$KAFKA_HOME/libs/*" "$@"
}

write_kafka_config() {
  mkdir -p "$KAFKA_STATE/data"
  cat >"$KAFKA_STATE/server.properties" <<EOF
# Written by scripts/services.sh: one Apache Kafka node that is both broker and KRaft controller.
node.id=1
process.roles=broker,controller
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$KAFKA_STATE/data
# One node, so one replica of everything (production: 3, with min.insync.replicas 2).
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Mesh creates its topics explicitly; a typo in a topic name must fail, not create a topic.
auto.create.topics.enable=false
# Consumers in tests join one at a time; do not wait 3 s for more to arrive.
group.initial.rebalance.delay.ms=0
EOF
  cat >"$KAFKA_STATE/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $KAFKA_STATE/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka-request.name = kafka.request.logger
logger.kafka-request.level = warn
EOF
  cat >"$KAFKA_STATE/tools-log4j2.properties" <<EOF
status = warn
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %p %m%n
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = stderr
EOF
}

kafka_metadata() {
  kafka_java org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "$KAFKA_BROKERS"
}

# Proves the broker really works: create a topic, produce a message, consume it back.
kafka_round_trip() {
  local topic=__mesh_readiness token
  token="ready-$(date +%s%N)"
  kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BROKERS" --create \
    --if-not-exists --topic "$topic" --partitions 1 --replication-factor 1 >/dev/null
  echo "$token" | kafka_java org.apache.kafka.tools.ConsoleProducer \
    --bootstrap-server "$KAFKA_BROKERS" --topic "$topic" >/dev/null
  kafka_java org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_BROKERS" \
    --topic "$topic" --from-beginning --timeout-ms 20000 2>/dev/null | grep -qx "$token"
}

kafka_reported_version() {
  sed -n 's/.*Kafka version: \([^ ]*\).*/\1/p' "$KAFKA_STATE/server.log" 2>/dev/null | tail -n 1
}

start_kafka() {
  fetch_kafka
  write_kafka_config
  if pid_alive "$KAFKA_STATE/kafka.pid"; then
    log "Kafka already running"
  else
    if [ ! -f "$KAFKA_STATE/data/meta.properties" ]; then
      log "formatting the Kafka log directory $KAFKA_STATE/data"
      kafka_java kafka.tools.StorageTool format --config "$KAFKA_STATE/server.properties" \
        --cluster-id "$(kafka_java kafka.tools.StorageTool random-uuid)" >&2
    fi
    log "starting Apache Kafka $KAFKA_VERSION on $KAFKA_BROKERS"
    : >"$KAFKA_STATE/server.log"
    # setsid + nohup: the broker outlives this script and the shell that ran it.
    setsid nohup java -Xms256m -Xmx512m -XX:+UseG1GC \
      -Dlog4j2.configurationFile="$KAFKA_STATE/log4j2.properties" \
      -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_STATE/server.properties" \
      >"$KAFKA_STATE/stdout.log" 2>&1 </dev/null &
    echo $! >"$KAFKA_STATE/kafka.pid"
  fi
  wait_until 90 "Kafka metadata" kafka_metadata ||
    die "Kafka does not answer; see $KAFKA_STATE/server.log and $KAFKA_STATE/stdout.log"
  wait_until 60 "Kafka produce/consume round trip" kafka_round_trip ||
    die "Kafka answers metadata but a produce/consume round trip fails; see $KAFKA_STATE/server.log"
  log "Apache Kafka $(kafka_reported_version) serves at $KAFKA_BROKERS (metadata and a produce/consume round trip checked)"
}

stop_kafka() {
  if pid_alive "$KAFKA_STATE/kafka.pid"; then
    log "stopping Kafka"
    local pid
    pid="$(cat "$KAFKA_STATE/kafka.pid")"
    kill "$pid"
    # A controlled shutdown takes a few seconds; after 60 s give up on it.
    local deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then kill -9 "$pid" 2>/dev/null || true; fi
      sleep 0.5
    done
  fi
  rm -f "$KAFKA_STATE/kafka.pid"
}

# --- commands ---------------------------------------------------------------------------------

selected() {
  if [ "$#" -eq 0 ]; then set -- "${ALL[@]}"; fi
  for service in "$@"; do
    case "$service" in
      postgres | redis | kafka) echo "$service" ;;
      *) die "unknown service '$service' (known: ${ALL[*]})" ;;
    esac
  done
}

status() {
  if pg_running 2>/dev/null && pg_serves; then
    echo "postgres  running  $PG_URL"
  else
    echo "postgres  stopped"
  fi
  if redis_serves; then echo "redis     running  $REDIS_URL"; else echo "redis     stopped"; fi
  if pid_alive "$KAFKA_STATE/kafka.pid"; then
    echo "kafka     running  $KAFKA_BROKERS (Apache Kafka $(kafka_reported_version))"
  else
    echo "kafka     stopped"
  fi
}

print_env() {
  cat <<EOF
export MESH_TEST_POSTGRES_URL='$PG_URL'
export MESH_TEST_REDIS_URL='$REDIS_URL'
export MESH_TEST_KAFKA_BROKERS='$KAFKA_BROKERS'
export MESH_TEST_KAFKA_VERSION='$(kafka_reported_version || true)'
export MESH_TEST_KAFKA_LIBS='$KAFKA_HOME/libs'
EOF
}

main() {
  local command="${1:-}"
  shift || true
  case "$command" in
    start)
      mapfile -t services < <(selected "$@")
      ensure_packages "${services[@]}"
      for service in "${services[@]}"; do "start_$service"; done
      ;;
    stop)
      mapfile -t services < <(selected "$@")
      for service in "${services[@]}"; do "stop_$service"; done
      ;;
    restart)
      mapfile -t services < <(selected "$@")
      for service in "${services[@]}"; do
        "stop_$service"
        "start_$service"
      done
      ;;
    status) status ;;
    env) print_env ;;
    *)
      sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
      [ -z "$command" ] || [ "$command" = help ] || exit 2
      ;;
  esac
}

main "$@"
