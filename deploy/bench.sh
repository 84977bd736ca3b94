#!/usr/bin/env bash
# The benchmarks (tests/Csto.Benchmarks), built in Release with the services they start, printing one table:
# each figure beside its ceiling measured in the same run, the ratio and the target, the load average beside each run.
#
#   deploy/bench.sh                      the deployed suite end to end (--only suite: commands, crossing, volume)
#   deploy/bench.sh --quick              the same, smaller and one run each: a smoke test (.ci/run runs it; speed is never asserted)
#   deploy/bench.sh [--quick] --only appends,read,stream,relay,postgres,instances,relay-cluster,suite,suite:commands,suite:crossing,suite:volume
#
# Without CSTO_RABBITMQ_URL it starts a private broker (the harness's RabbitMqFixture); nothing else of the machine is
# used: the services run as processes on free ports with their SQLite files in temporary folders.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for project in services/Csto.Membership services/Csto.Bodies services/Csto.Operations tests/Csto.Benchmarks; do
    dotnet build "$project" -c Release -v quiet -nologo -clp:ErrorsOnly
done
args=("$@")
if ! printf '%s\n' "${args[@]}" | grep -qx -- --only; then args+=(--only suite); fi
exec dotnet tests/Csto.Benchmarks/bin/Release/net10.0/Csto.Benchmarks.dll "${args[@]}"
