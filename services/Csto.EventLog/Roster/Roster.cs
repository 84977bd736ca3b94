using System.Collections.Immutable;
using Csto.EventLog.Commands;
using Csto.EventLog.Inbox;
using Csto.EventLog.Projections;
using Csto.EventLog.V1;
using Csto.Kernel;
using Csto.Membership.V1;
using Csto.Roster.V1;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Csto.EventLog.Roster;

/// <summary>
/// The one roster of the suite: bodies and operations keep membership's MemberStatusChanged as their own events
/// (RosterStatusRecorded in "roster-{state}"), so that the roster on any date is derived from their own log, and read
/// it through <see cref="RosterView"/>, which has membership's meaning. Each source version is recorded once.
/// </summary>
public static class RosterComponent
{
    public const string StreamPrefix = "roster-";

    public static IServiceCollection AddRoster(this IServiceCollection services)
    {
        services.AddSingleton<IEventHandler, RosterHandler>();
        services.AddSingleton<IProjection, RosterProjection>();
        services.AddSingleton<RosterQueries>();
        return services;
    }

    /// <summary>The entry a roster event of this log holds (earlier builds wrote one type per service; they are read alike).</summary>
    public static RosterEntry? EntryOf(IMessage message) => message switch
    {
        RosterStatusRecorded r => new RosterEntry(r.State, r.NewStatus, r.EffectiveDate.ToDateOnly(), r.SourceStreamVersion),
        Bodies.V1.RosterStatusObserved o => new RosterEntry(o.State, o.NewStatus, o.EffectiveDate.ToDateOnly(), o.SourceStreamVersion),
        Operations.V1.RosterStatusRecorded l => new RosterEntry(l.State, l.Status, l.EffectiveDate.ToDateOnly(), l.SourceStreamVersion),
        _ => null,
    };
}

/// <summary>Records each MemberStatusChanged once in the state's roster stream, whatever the order of delivery.</summary>
public sealed class RosterHandler(IEventStore store) : IEventHandler
{
    public string Name => store.ServiceName + "-roster";

    public IReadOnlyCollection<string> EventTypes { get; } = [MemberStatusChanged.Descriptor.FullName];

    public ICommand? Handle(EventRecord incoming)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        var change = MemberStatusChanged.Parser.ParseFrom(incoming.Data);
        if (!StateCodes.IsValid(change.State) || change.EffectiveDate is not { IsCalendarDate: true })
        {
            return null; // nothing a roster can hold (an organization's observer status); the inbox still marks it processed
        }

        var recorded = new RosterStatusRecorded
        {
            State = change.State,
            OldStatus = change.OldStatus,
            NewStatus = change.NewStatus,
            EffectiveDate = change.EffectiveDate,
            SourceStreamVersion = change.StreamVersion,
            Cause = change.Cause,
            SourceEventId = incoming.EventId,
        };
        // the source versions the roster stream holds; a long one (a party with many changes) is continued, not folded again
        return new Command<ImmutableHashSet<long>>(
            RosterComponent.StreamPrefix + change.State,
            records => SourceVersions(ImmutableHashSet<long>.Empty, records),
            held => held.Contains(change.StreamVersion) ? Verdict.Nothing : Verdict.Accept(recorded))
        {
            FoldFrom = SourceVersions,
        };
    }

    static ImmutableHashSet<long> SourceVersions(ImmutableHashSet<long> held, IReadOnlyList<EventRecord> records)
    {
        return held.Union(Kernel.EventTypes.ParseAll(records).Select(RosterComponent.EntryOf).OfType<RosterEntry>().Select(e => e.SourceVersion));
    }
}

/// <summary>Every roster change of the log as a row, for <see cref="RosterQueries"/>.</summary>
public sealed class RosterProjection : IProjection
{
    public const string Table = "proj_roster";

    public const string ProjectionName = "roster";

    public string Name => ProjectionName;

    public IReadOnlyList<ProjectionTable> Tables { get; } =
    [
        new(Table, "state TEXT NOT NULL, source_version INTEGER NOT NULL, effective_date TEXT NOT NULL, status INTEGER NOT NULL, PRIMARY KEY(state, source_version)"),
    ];

    public void Apply(EventRecord record, ProjectionWriter writer)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(writer);
        if (!record.StreamId.StartsWith(RosterComponent.StreamPrefix, StringComparison.Ordinal)
            || Kernel.EventTypes.Parse(record) is not { } message || RosterComponent.EntryOf(message) is not { } entry)
        {
            return;
        }

        writer.Execute(Table, "INSERT INTO {t}(state, source_version, effective_date, status) VALUES (@s, @v, @e, @st) ON CONFLICT DO NOTHING",
            ("@s", (object?)entry.State), ("@v", entry.SourceVersion), ("@e", entry.EffectiveDate.ToIso()), ("@st", (int)entry.Status));
    }
}

/// <summary>
/// The roster with every roster event the log holds (read your writes). It depends on the roster streams only, so it
/// waits for the roster projection to reach the last of their events, not for every projection to reach the log's head:
/// a write that checks the roster (a position, a report) does not queue behind the projections of every other write.
/// The view is kept until a roster event arrives.
/// </summary>
public sealed class RosterQueries(IEventStore store, IReadModelStore readModel, ProjectionRunner projections)
{
    Loaded? _last;

    public async Task<RosterView> LoadAsync(CancellationToken cancellationToken)
    {
        var position = await store.ReadLastPositionAsync(RosterComponent.StreamPrefix, cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _last) is { } last && last.Position == position)
        {
            return last.View;
        }

        await projections.WaitForPositionAsync(RosterProjection.ProjectionName, position, cancellationToken).ConfigureAwait(false);
        var rows = await readModel.QueryAsync(
            $"SELECT state, source_version, effective_date, status FROM {RosterProjection.Table}",
            r => new RosterEntry(r.GetString(0), (MemberStatus)r.GetInt32(3), Dates.ParseIso(r.GetString(2)) ?? DateOnly.MinValue, r.GetInt64(1)),
            cancellationToken).ConfigureAwait(false);
        var view = new RosterView(rows);
        // rows read at or after the position: the view holds at least every roster event up to it
        Volatile.Write(ref _last, new Loaded(position, view));
        return view;
    }

    sealed record Loaded(long Position, RosterView View);
}
