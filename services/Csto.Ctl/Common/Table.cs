using System.Text;

namespace Csto.Ctl.Common;

/// <summary>A plain text table for humans; machines use --json.</summary>
public sealed class Table(params string[] headers)
{
    readonly List<string[]> _rows = [];

    public Table Add(params object?[] cells)
    {
        _rows.Add([.. cells.Select(c => Convert.ToString(c, System.Globalization.CultureInfo.InvariantCulture) ?? "")]);
        return this;
    }

    public int Count => _rows.Count;

    public override string ToString()
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        var sb = new StringBuilder();
        void Line(IReadOnlyList<string> cells)
        {
            for (var i = 0; i < widths.Length; i++)
            {
                var cell = i < cells.Count ? cells[i] : "";
                sb.Append(i == widths.Length - 1 ? cell : cell.PadRight(widths[i] + 2));
            }

            sb.AppendLine();
        }

        Line(headers);
        Line([.. widths.Select(w => new string('-', w))]);
        foreach (var row in _rows)
        {
            Line(row);
        }

        return sb.ToString();
    }
}
