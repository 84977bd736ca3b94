using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Csto.EventLog;

/// <summary>
/// The one encoding of projection rows that the rebuild check hashes (SQLite and PostgreSQL alike), so that equal
/// contents hash the same on both engines: a value per column tagged with its kind, rows in the order the store reads them.
/// </summary>
internal static class TableHash
{
    public static void AppendHeader(IncrementalHash sha, string table, int columns) =>
        sha.AppendData(Encoding.UTF8.GetBytes($"table:{table}:{columns}\n"));

    public static async Task AppendRowsAsync(IncrementalHash sha, DbDataReader reader, int columns, CancellationToken cancellationToken)
    {
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < columns; i++)
            {
                var text = reader.GetValue(i) switch
                {
                    DBNull => "N",
                    byte[] bytes => "B" + Convert.ToHexString(bytes),
                    string s => "S" + s.Length.ToString(CultureInfo.InvariantCulture) + ":" + s,
                    double d => "R" + d.ToString("R", CultureInfo.InvariantCulture),
                    var value => "I" + Convert.ToString(value, CultureInfo.InvariantCulture),
                };
                sha.AppendData(Encoding.UTF8.GetBytes(text));
                sha.AppendData("|"u8);
            }

            sha.AppendData("\n"u8);
        }
    }
}
