using Csto.EventLog.Projections;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Google.Protobuf;

namespace Csto.Membership.Roster;

/// <summary>
/// Every MemberStatusChanged as a row "from this date the party has this status". The status of a party on
/// a date is its row with the greatest (effective_date, position) not after that date: the same order the
/// state fold uses, so a withdrawal dated in the future of its notice is answered right for every date.
/// </summary>
public sealed class MemberStatusProjection : IProjection
{
    public const string Table = "proj_member_status";

    /// <summary>Every party that ever had a status: the roster on a date looks up each one's latest row (index), never scans every change.</summary>
    public const string Parties = "proj_member_party";

    public string Name => "member-status";

    public IReadOnlyList<ProjectionTable> Tables { get; } =
    [
        new(Table, "position INTEGER PRIMARY KEY, state TEXT NOT NULL, effective_date TEXT NOT NULL, status INTEGER NOT NULL, cause BLOB NOT NULL",
            "state, effective_date, position", "effective_date"),
        new(Parties, "state TEXT PRIMARY KEY"),
    ];

    public void Apply(EventRecord record, ProjectionWriter writer) => Apply(record, writer, null);

    /// <summary>Each party's row once per slice, not once per change.</summary>
    public void ApplyBatch(IReadOnlyList<EventRecord> records, ProjectionWriter writer)
    {
        ArgumentNullException.ThrowIfNull(records);
        var parties = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            Apply(record, writer, parties);
        }
    }

    static void Apply(EventRecord record, ProjectionWriter writer, HashSet<string>? written)
    {
        if (!string.Equals(record.Type, MemberStatusChanged.Descriptor.FullName, StringComparison.Ordinal))
        {
            return;
        }

        var changed = MemberStatusChanged.Parser.ParseFrom(record.Data);
        writer.Execute(Table, """
            INSERT INTO {t}(position, state, effective_date, status, cause) VALUES (@p, @s, @d, @st, @c)
            ON CONFLICT(position) DO UPDATE SET state = excluded.state, effective_date = excluded.effective_date, status = excluded.status, cause = excluded.cause
            """,
            ("@p", (object?)record.Position), ("@s", changed.State), ("@d", changed.EffectiveDate.ToIso()), ("@st", (long)changed.NewStatus),
            ("@c", (changed.Cause ?? new Csto.Common.V1.Cause()).ToByteArray()));
        if (written?.Add(changed.State) != false)
        {
            writer.Execute(Parties, "INSERT INTO {t}(state) VALUES (@s) ON CONFLICT(state) DO NOTHING", ("@s", changed.State));
        }
    }
}
