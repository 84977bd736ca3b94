#!/usr/bin/env bash
# Runs the suite: RabbitMQ, the three services on their documented ports with their SQLite logs
# under one data folder, waits for their health, loads the history through the public APIs, and
# prints a summary. Idempotent: what already runs is left running; loading twice changes nothing.
#
#   deploy/up.sh            (CSTO_DATA=<folder> to choose the data folder; default .data/)
#
# CSTO_MEMBERSHIP_PORT / CSTO_BODIES_PORT / CSTO_OPERATIONS_PORT move the services (5101/5102/5103),
# CSTO_CONSOLE_PORT the operator console (5100; read-only web pages over the services' gRPC APIs, signed in with a token),
# the CSTO_RABBITMQ_* variables of deploy/rabbitmq.sh move the broker; CSTO_UP_SERVICES_ONLY=1 starts
# what is not running and stops there (no history, no summary): deploy/faults.sh restarts with it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export CSTO_DATA="${CSTO_DATA:-$ROOT/.data}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# the data folder is the record: nobody else on the machine reads it (0700, files 0600 whoever's umask); the builds
# below keep the usual 022 for what they write into the checkout
umask 077
mkdir -p "$CSTO_DATA/run" "$CSTO_DATA/logs"
chmod 0700 "$CSTO_DATA"
# the key that signs and checks tokens: generated at the first start into the data folder (0600), never the repository's
# development key; cstoctl finds it there ($CSTO_DATA/signing.key), or set CSTO_SIGNING_KEY yourself
if [ -z "${CSTO_SIGNING_KEY:-}" ]; then
    [ -s "$CSTO_DATA/signing.key" ] || head -c 48 /dev/urandom | base64 | tr -d '\n' > "$CSTO_DATA/signing.key"
    chmod 0600 "$CSTO_DATA/signing.key"
    CSTO_SIGNING_KEY="$(cat "$CSTO_DATA/signing.key")"
fi
export CSTO_SIGNING_KEY
declare -A PORTS=([membership]="${CSTO_MEMBERSHIP_PORT:-5101}" [bodies]="${CSTO_BODIES_PORT:-5102}" [operations]="${CSTO_OPERATIONS_PORT:-5103}")
export CSTO_MEMBERSHIP_URL="http://127.0.0.1:${PORTS[membership]}" CSTO_BODIES_URL="http://127.0.0.1:${PORTS[bodies]}" CSTO_OPERATIONS_URL="http://127.0.0.1:${PORTS[operations]}"
declare -A PROJECTS=([membership]=Csto.Membership [bodies]=Csto.Bodies [operations]=Csto.Operations)

say() { echo "[up] $*"; }
# a process that is running (a killed one can linger as a zombie when nobody reaps it)
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }

# 1. the broker: Debian's rabbitmq-server, on loopback, with one user per service (least privilege,
#    passwords generated into $CSTO_DATA/rabbitmq/passwords, mode 0600). A broker of yours: set
#    CSTO_RABBITMQ_URL, and every service connects with that one URL (one user: no per-service origin).
if [ -z "${CSTO_RABBITMQ_URL:-}" ]; then
    say "starting RabbitMQ (deploy/rabbitmq.sh)"
    deploy/rabbitmq.sh start >/dev/null
    echo "native" > "$CSTO_DATA/run/broker"
fi

# 2. build once (Release)
if [ "${CSTO_UP_SERVICES_ONLY:-}" != 1 ]; then
say "building the services and cstoctl"
for project in Csto.Membership Csto.Bodies Csto.Operations Csto.Ctl Csto.Console; do
    (umask 022; dotnet build "services/$project" -c Release -v quiet -nologo -clp:ErrorsOnly) >>"$CSTO_DATA/logs/build.log" 2>&1 \
        || { tail -n 40 "$CSTO_DATA/logs/build.log"; exit 1; }
done
# cstoctl as a dotnet tool in $CSTO_DATA/tools (a fresh version each time, so no cached package is reused)
say "installing cstoctl as a dotnet tool into $CSTO_DATA/tools"
version="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"
if (umask 022; dotnet pack services/Csto.Ctl -c Release --no-build -o "$CSTO_DATA/packages" -p:Version="$version" -v quiet -nologo) >>"$CSTO_DATA/logs/build.log" 2>&1 \
    && { dotnet tool uninstall --tool-path "$CSTO_DATA/tools" Csto.Ctl >/dev/null 2>&1 || true; } \
    && dotnet tool install --tool-path "$CSTO_DATA/tools" --add-source "$CSTO_DATA/packages" --ignore-failed-sources --version "$version" Csto.Ctl >>"$CSTO_DATA/logs/build.log" 2>&1; then
    find "$CSTO_DATA/packages" -name 'Csto.Ctl.*.nupkg' ! -name "Csto.Ctl.$version.nupkg" -delete
else
    say "cstoctl could not be installed as a tool (see $CSTO_DATA/logs/build.log); use dotnet services/Csto.Ctl/bin/Release/net10.0/cstoctl.dll"
fi
fi
ctl() { dotnet "$ROOT/services/Csto.Ctl/bin/Release/net10.0/cstoctl.dll" "$@"; }

# 3. the services, by pid file
for service in membership bodies operations; do
    pidfile="$CSTO_DATA/run/$service.pid"
    if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then
        say "$service already running (pid $(cat "$pidfile"))"
        continue
    fi
    project="${PROJECTS[$service]}"
    say "starting $service on http://127.0.0.1:${PORTS[$service]}"
    # tokens: CSTO_SIGNING_KEY (generated above unless you set it), read by the services from the environment
    # each service connects as its own broker user (deploy/rabbitmq.sh creates them)
    url="${CSTO_RABBITMQ_URL:-$(deploy/rabbitmq.sh url "$service")}"
    CSTO_LOG_FORMAT=json EventLog__RabbitMqUrl="$url" EventLog__DatabasePath="$CSTO_DATA/$service.db" \
        nohup dotnet "$ROOT/services/$project/bin/Release/net10.0/$project.dll" --urls "http://127.0.0.1:${PORTS[$service]}" \
        >>"$CSTO_DATA/logs/$service.log" 2>&1 &
    echo $! > "$pidfile"
done

# 4. health
say "waiting for the health checks"
ctl health --wait 90 || { say "a service is not healthy; logs in $CSTO_DATA/logs/"; exit 1; }

[ "${CSTO_UP_SERVICES_ONLY:-}" = 1 ] && exit 0

# 5. the history, through the public APIs
say "loading the CSTO's history 1992-2024"
# without a token the loader signs one per act (Secretariat, each state's delegate and reporter)
CSTO_TOKEN= ctl history load --no-progress | tail -n 3

# 6. the operator console: read-only pages over the public gRPC APIs. It holds no key and no token: each user signs
#    in at /login with a token of cstoctl, which the console keeps in an encrypted cookie (data-protection keys in
#    $CSTO_DATA/console-keys, 0700) and sends on every call it makes for that user
CONSOLE_PORT="${CSTO_CONSOLE_PORT:-5100}"
pidfile="$CSTO_DATA/run/console.pid"
if [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; then
    say "console already running (pid $(cat "$pidfile"))"
else
    say "starting the console on http://127.0.0.1:$CONSOLE_PORT"
    # from its folder, so that its appsettings.json is read; the pid is dotnet's own (deploy/down.sh stops it)
    (
        cd "$ROOT/services/Csto.Console"
        Console__Url="http://127.0.0.1:$CONSOLE_PORT" \
            nohup dotnet "$ROOT/services/Csto.Console/bin/Release/net10.0/Csto.Console.dll" >>"$CSTO_DATA/logs/console.log" 2>&1 &
        echo $! > "$pidfile"
    )
fi

# 7. summary, as a reader
CSTO_TOKEN="$(ctl token issue --role reader --ttl 1h 2>/dev/null)"
export CSTO_TOKEN

today="$(date -u +%F)"
echo
echo "== members today ($today)"
ctl query members --as-of "$today"
echo "== decisions recorded"
ctl query decisions | tail -n 5
echo "== \"Channel\" totals"
ctl query totals --operation Channel
echo
echo "cstoctl:   export PATH=\"$CSTO_DATA/tools:\$PATH\"   (or dotnet services/Csto.Ctl/bin/Release/net10.0/cstoctl.dll)"
echo "Tokens:    export CSTO_TOKEN=\$(cstoctl token issue --role operator)"
echo "Try next:  cstoctl trace <decision or report id>     (prints each event's trace id)"
echo "           cstoctl log tail --service all"
echo "Metrics:   curl -s http://127.0.0.1:${PORTS[membership]}/metrics | grep ^csto_"
echo "Console:   http://127.0.0.1:$CONSOLE_PORT/  (membership timeline, decisions, chairs, operations, event log, trace, health)"
echo "           sign in with the token that this prints (--role operator also shows the error queues' contents):"
echo "           cstoctl token issue --role reader     (or dotnet services/Csto.Ctl/bin/Release/net10.0/cstoctl.dll token issue --role reader)"
echo "Stop with: deploy/down.sh"
