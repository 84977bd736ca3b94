using System.Globalization;
using System.Text;
using Csto.Common.V1;
using Csto.EventLog;
using Csto.EventLog.Projections;
using Csto.Membership.Members;
using Csto.Membership.V1;
using Microsoft.Data.Sqlite;

namespace Csto.Membership.Roster;

/// <summary>As-of reads over <see cref="MemberStatusProjection"/>, after it caught up with the log (read your writes).</summary>
public sealed class MembershipQueries(SqliteEventStore store, ProjectionRunner projections)
{
    /// <summary>The status of every party with a status row on or before <paramref name="asOf"/>, ordered by code.</summary>
    public async Task<IReadOnlyList<MemberStatusAsOf>> StatusesAsync(DateOnly asOf, IReadOnlyCollection<MemberStatus> statuses, string after, int limit, CancellationToken cancellationToken)
    {
        var head = store.HeadPosition;
        if (head == 0)
        {
            return [];
        }

        await projections.WaitForPositionAsync(head, cancellationToken);
        await using var connection = store.OpenReadConnection();
        await using var cmd = connection.CreateCommand();
        var filter = statuses.Count == 0
            ? "status <> 0"
            : "status IN (" + string.Join(",", statuses.Select(s => ((int)s).ToString(CultureInfo.InvariantCulture))) + ")";
        cmd.CommandText = $"""
            SELECT state, status, effective_date, cause FROM (
                SELECT state, status, effective_date, cause,
                       ROW_NUMBER() OVER (PARTITION BY state ORDER BY effective_date DESC, position DESC) AS rn
                FROM {MemberStatusProjection.Table} WHERE effective_date <= $d)
            WHERE rn = 1 AND {filter} AND state > $after ORDER BY state LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$d", asOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$after", after);
        cmd.Parameters.AddWithValue("$limit", limit);
        var list = new List<MemberStatusAsOf>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Row(reader));
        }

        return list;
    }

    static MemberStatusAsOf Row(SqliteDataReader reader)
    {
        var state = reader.GetString(0);
        var status = (MemberStatus)reader.GetInt32(1);
        var since = DateOnly.ParseExact(reader.GetString(2), "yyyy-MM-dd", CultureInfo.InvariantCulture);
        return new MemberStatusAsOf
        {
            State = state,
            Kind = Parties.KindOf(state),
            Status = status,
            StatusSince = ProtoDates.ToProto(since),
            Cause = Cause.Parser.ParseFrom((byte[])reader.GetValue(3)),
            HasVoice = status == MemberStatus.Member,
        };
    }
}

/// <summary>Opaque page tokens bound to the query they continue (AIP-158).</summary>
public static class PageTokens
{
    public static string Next(string query, string last) => Convert.ToBase64String(Encoding.UTF8.GetBytes(query + "\n" + last));

    /// <summary>The last code of the previous page, or null when the token is not one of this query.</summary>
    public static string? After(string token, string query)
    {
        if (token.Length == 0)
        {
            return "";
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var cut = text.LastIndexOf('\n');
            return cut >= 0 && string.Equals(text[..cut], query, StringComparison.Ordinal) ? text[(cut + 1)..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
