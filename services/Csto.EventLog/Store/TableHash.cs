using System.Buffers;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Csto.EventLog;

/// <summary>
/// The one encoding of projection rows that the rebuild check hashes (SQLite and PostgreSQL alike), so that equal
/// contents hash the same on both engines: a value per column tagged with its kind, rows in the order the store reads them.
/// Each value is written as <c>N</c> (null), <c>B</c> + upper-case hex (bytes), <c>S</c> + UTF-16 length + <c>:</c> +
/// the text (text), <c>R</c> + round-trip digits (real) or <c>I</c> + invariant digits (integers and anything else),
/// then <c>|</c>; each row ends with a newline. The rows are encoded into one reused buffer and hashed 64 KiB at a time
/// (a rebuild hashes every row of the live and of the rebuilt tables).
/// </summary>
internal static class TableHash
{
    const int Chunk = 64 * 1024;

    public static void AppendHeader(IncrementalHash sha, string table, int columns) =>
        sha.AppendData(Encoding.UTF8.GetBytes($"table:{table}:{columns}\n"));

    public static async Task AppendRowsAsync(IncrementalHash sha, DbDataReader reader, int columns, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(Chunk * 2);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < columns; i++)
            {
                Append(buffer, reader.GetValue(i));
                Write(buffer, "|"u8);
            }

            Write(buffer, "\n"u8);
            if (buffer.WrittenCount >= Chunk)
            {
                sha.AppendData(buffer.WrittenSpan);
                buffer.ResetWrittenCount();
            }
        }

        sha.AppendData(buffer.WrittenSpan);
    }

    static void Append(ArrayBufferWriter<byte> buffer, object value)
    {
        switch (value)
        {
            case DBNull:
                Write(buffer, "N"u8);
                break;
            case byte[] bytes:
                Write(buffer, "B"u8);
                Convert.TryToHexString(bytes, buffer.GetSpan(2 * bytes.Length), out var hex); // upper case, as UTF-8
                buffer.Advance(hex);
                break;
            case string s:
                Write(buffer, "S"u8);
                Format(buffer, s.Length, default);
                Write(buffer, ":"u8);
                var text = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length));
                buffer.Advance(Encoding.UTF8.GetBytes(s, text));
                break;
            case double d:
                Write(buffer, "R"u8);
                Format(buffer, d, "R");
                break;
            case long l:
                Write(buffer, "I"u8);
                Format(buffer, l, default);
                break;
            case int n:
                Write(buffer, "I"u8);
                Format(buffer, n, default);
                break;
            default:
                Write(buffer, "I"u8);
                var other = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
                buffer.Advance(Encoding.UTF8.GetBytes(other, buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(other.Length))));
                break;
        }
    }

    static void Format<T>(ArrayBufferWriter<byte> buffer, T value, ReadOnlySpan<char> format)
        where T : IUtf8SpanFormattable
    {
        var span = buffer.GetSpan(32);
        if (!value.TryFormat(span, out var written, format, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"could not format {value}");
        }

        buffer.Advance(written);
    }

    static void Write(ArrayBufferWriter<byte> buffer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(buffer.GetSpan(bytes.Length));
        buffer.Advance(bytes.Length);
    }
}
