using Csto.Bodies.V1;
using Csto.EventLog.V1;

namespace Csto.Bodies.Relations;

public sealed record RecordRelation(string Id, string Counterpart, RelationKind Kind, Csto.Common.V1.Date? EffectiveDate, string Summary, string Place);

/// <summary>
/// The Organization's relations with other organizations (domain.md: observer status in the UN General Assembly
/// since 2004-12-02, the joint declaration with the UN secretariat of 2010-03-18, memoranda of cooperation): facts of
/// the record that are not decisions of its bodies.
/// </summary>
public static class Relations
{
    /// <summary>The Collective Security Treaty, signed 1992-05-15: nothing of the Organization comes before it.</summary>
    public static readonly DateOnly Treaty = new(1992, 5, 15);

    public static Verdict Record(RecordRelation command)
    {
        if (string.IsNullOrWhiteSpace(command.Counterpart) || command.Counterpart.Length > 200)
        {
            return Verdict.Invalid("counterpart", "the counterpart is required, up to 200 characters");
        }

        if (command.Kind == RelationKind.Unspecified || !Enum.IsDefined(command.Kind))
        {
            return Verdict.Invalid("kind", "observer status, joint declaration or memorandum");
        }

        if (!Dates.TryGet(command.EffectiveDate, out var day))
        {
            return Verdict.Invalid("effective_date", "a valid date is required");
        }

        if ((command.Summary ?? "").Length > 2000)
        {
            return Verdict.Invalid("summary", "at most 2,000 characters");
        }

        return day < Treaty
            ? Verdict.Rule("BEFORE_THE_TREATY", $"the Organization's record starts with the Treaty of {Treaty.ToIso()}")
            : Verdict.Accept(new ExternalRelationRecorded
            {
                Relation = "relations/" + command.Id, Counterpart = command.Counterpart.Trim(), Kind = command.Kind, EffectiveDate = day.ToProto(), Summary = command.Summary ?? "", Place = command.Place ?? "",
            });
    }

    /// <summary>The relation of a stream's records, with the provenance of its write.</summary>
    public static ExternalRelation? Of(IReadOnlyList<EventRecord> records)
    {
        foreach (var record in records)
        {
            if (EventTypes.Parse(record) is ExternalRelationRecorded r)
            {
                return ToView(r, record.Metadata?.Provenance);
            }
        }

        return null;
    }

    public static ExternalRelation ToView(ExternalRelationRecorded r, Csto.Common.V1.Provenance? provenance) => new()
    {
        Name = r.Relation, Counterpart = r.Counterpart, Kind = r.Kind, EffectiveDate = r.EffectiveDate, Summary = r.Summary, Place = r.Place, Provenance = provenance,
    };
}
