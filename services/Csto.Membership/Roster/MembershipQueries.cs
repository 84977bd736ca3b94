using System.Data;
using System.Globalization;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Projections;
using Csto.Kernel;
using Csto.Membership.Members;
using Csto.Membership.V1;

namespace Csto.Membership.Roster;

/// <summary>As-of reads over <see cref="MemberStatusProjection"/>, after it caught up with the log (read your writes).</summary>
public sealed class MembershipQueries(IEventStore store, IReadModelStore readModel, ProjectionRunner projections)
{
    /// <summary>The status of every party with a status row on or before <paramref name="asOf"/>, ordered by code.</summary>
    public async Task<IReadOnlyList<MemberStatusAsOf>> StatusesAsync(DateOnly asOf, IReadOnlyCollection<MemberStatus> statuses, string after, int limit, CancellationToken cancellationToken)
    {
        var head = await store.ReadHeadAsync(cancellationToken);
        if (head == 0)
        {
            return [];
        }

        await projections.WaitForPositionAsync(head, cancellationToken);
        var filter = statuses.Count == 0
            ? "m.status <> 0"
            : "m.status IN (" + string.Join(",", statuses.Select(s => ((int)s).ToString(CultureInfo.InvariantCulture))) + ")";
        // per party, its latest row not after the date, found through the (state, effective_date, position) index: the
        // cost grows with the number of parties, not with the number of status changes in the log
        return await readModel.QueryAsync($"""
            SELECT m.state, m.status, m.effective_date, m.cause
            FROM {MemberStatusProjection.Parties} p
            JOIN {MemberStatusProjection.Table} m ON m.position = (
                SELECT x.position FROM {MemberStatusProjection.Table} x
                WHERE x.state = p.state AND x.effective_date <= @d
                ORDER BY x.effective_date DESC, x.position DESC LIMIT 1)
            WHERE p.state > @after AND {filter}
            ORDER BY p.state LIMIT @limit
            """, Row, cancellationToken, ("@d", asOf.ToIso()), ("@after", after), ("@limit", limit));
    }

    static MemberStatusAsOf Row(IDataRecord reader)
    {
        var state = reader.GetString(0);
        var status = (MemberStatus)reader.GetInt32(1);
        return new MemberStatusAsOf
        {
            State = state,
            Kind = Parties.KindOf(state),
            Status = status,
            StatusSince = (Dates.ParseIso(reader.GetString(2)) ?? DateOnly.MinValue).ToProto(),
            Cause = Cause.Parser.ParseFrom((byte[])reader.GetValue(3)),
            HasVoice = status == MemberStatus.Member,
        };
    }
}
