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
            ? "status <> 0"
            : "status IN (" + string.Join(",", statuses.Select(s => ((int)s).ToString(CultureInfo.InvariantCulture))) + ")";
        return await readModel.QueryAsync($"""
            SELECT state, status, effective_date, cause FROM (
                SELECT state, status, effective_date, cause,
                       ROW_NUMBER() OVER (PARTITION BY state ORDER BY effective_date DESC, position DESC) AS rn
                FROM {MemberStatusProjection.Table} WHERE effective_date <= @d) latest
            WHERE rn = 1 AND {filter} AND state > @after ORDER BY state LIMIT @limit
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
