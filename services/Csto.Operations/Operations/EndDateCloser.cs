using Csto.EventLog.Commands;
using Csto.EventLog.V1;
using Csto.Operations.Shared;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Csto.Operations.Operations;

public sealed class EndDateCloserOptions
{
    /// <summary>Configuration <c>Operations:AutoClose</c> (default true): close operations whose end date passed.</summary>
    public bool AutoClose { get; set; } = true;

    /// <summary>Configuration <c>Operations:AutoCloseIntervalSeconds</c> (default 3,600).</summary>
    public double AutoCloseIntervalSeconds { get; set; } = 3600;

    public bool Enabled => AutoClose;

    public TimeSpan Interval => TimeSpan.FromSeconds(AutoCloseIntervalSeconds);

    public static IEnumerable<(string, string)> Broken(EndDateCloserOptions o) =>
        Csto.EventLog.Hosting.Settings.Positive(nameof(AutoCloseIntervalSeconds), (o ?? throw new ArgumentNullException(nameof(o))).AutoCloseIntervalSeconds);
}

/// <summary>
/// Closes every operation whose last day is before today (UTC), with its summary. The close of an operation
/// has a deterministic event id, so two instances, or a run racing a concluding decision, close it once.
/// </summary>
public sealed partial class EndDateCloser(OperationQueries operations, CommandPath commands, TimeProvider clock, EndDateCloserOptions options, ILogger<EndDateCloser> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CloseDueAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // a failed round is retried at the next interval
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFailed(ex);
            }

            await Task.Delay(options.Interval, clock, stoppingToken);
        }
    }

    public async Task<int> CloseDueAsync(CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var closed = 0;
        foreach (var id in await operations.OperationIdsAsync(cancellationToken))
        {
            if (await operations.LoadAsync(id, cancellationToken) is not { } operation || Authorization.CloseAtEndDate(operation, today).Events.Count == 0)
            {
                continue;
            }

            var metadata = new EventMetadata
            {
                CorrelationId = "close-" + id, Actor = new Actor { Subject = "operations:end-date-closer", Role = "system" },
                Provenance = new Csto.Common.V1.Provenance { Basis = Csto.Common.V1.Basis.Derived, Source = "the authorizing decision's end date", Reason = "the operation closes when the end date its decisions set has passed" },
            };
            var command = new Command<OperationState?>(Ids.StreamOf(id), OperationEvents.Fold, op => Authorization.CloseAtEndDate(op!, today))
            {
                EffectiveDateOf = OperationEvents.EffectiveDate,
                FoldFrom = OperationEvents.FoldFrom,
            };
            var written = await commands.ExecuteSystemAsync(command, "close-at-end-date/" + id, metadata, cancellationToken);
            if (written.EventIds.Count > 0 && !written.Retried)
            {
                closed++;
            }
        }

        return closed;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "closing operations at their end date failed")]
    partial void LogFailed(Exception exception);
}
