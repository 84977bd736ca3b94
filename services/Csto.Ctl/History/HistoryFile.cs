using System.Text.Json;
using System.Text.Json.Serialization;

namespace Csto.Ctl.History;

/// <summary>
/// The history data file (csto-history.json): steps in date order. Decision payloads and operation requests are
/// written in the protobuf JSON mapping of protos/, so the file speaks the API's own schema.
/// </summary>
public sealed class HistoryFile
{
    public string Title { get; set; } = "";

    public string Sources { get; set; } = "";

    /// <summary>The provenance of a step that gives none (protobuf JSON of csto.common.v1.Provenance).</summary>
    public JsonElement Provenance { get; set; }

    public List<HistoryStep> Steps { get; set; } = [];

    static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "History", "csto-history.json");

    public static HistoryFile Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<HistoryFile>(File.ReadAllText(path), Options) ?? throw new JsonException("empty file");
        }
        catch (JsonException ex)
        {
            throw new Common.CtlException(Common.ExitCodes.Usage, $"{path}: not a history file: {ex.Message}");
        }
    }
}

public sealed class HistoryStep
{
    public string Date { get; set; } = "";

    /// <summary>Where the step's facts come from (protobuf JSON of csto.common.v1.Provenance); every write of the step carries it.</summary>
    public JsonElement Provenance { get; set; }

    /// <summary>A state or organization observing a body (the Parliamentary Assembly's observers).</summary>
    [JsonPropertyName("body_observer")]
    public BodyObserverStep? BodyObserver { get; set; }

    /// <summary>A relation of the Organization with another organization (the UN General Assembly's observer status).</summary>
    public RelationStep? Relation { get; set; }

    public MembershipStep? Membership { get; set; }

    public SessionStep? Session { get; set; }

    /// <summary>One operations request: join, leave, observer, stage, close_stage, report, published_totals (JSON mapping of the request).</summary>
    public Dictionary<string, JsonElement>? Operation { get; set; }

    public string Describe() =>
        Membership is { } m ? $"{Date} membership {m.Act} {string.Join(',', m.States)}"
        : Session is { } s ? $"{Date} {s.Body} session at {s.Place} ({s.Drafts.Count} drafts)"
        : Operation is { } o ? $"{Date} operations {string.Join(',', o.Keys)}"
        : BodyObserver is { } b ? $"{Date} {b.Body} observer {b.Observer}"
        : Relation is { } r ? $"{Date} relation with {r.Counterpart}"
        : Date;
}

public sealed class MembershipStep
{
    /// <summary>signature, accession, entry_into_force, term_end, freeze, unfreeze, withdrawal_notice, observer, partner.</summary>
    public string Act { get; set; } = "";

    public List<string> States { get; set; } = [];

    public JsonElement Cause { get; set; }

    public string? TakesEffectOn { get; set; }
}

public sealed class SessionStep
{
    public string Id { get; set; } = "";

    public string Body { get; set; } = "";

    public string Place { get; set; } = "";

    public string Host { get; set; } = "";

    public bool Regular { get; set; }

    public string Format { get; set; } = "SESSION_FORMAT_IN_PERSON";

    public List<DraftStep> Drafts { get; set; } = [];

    /// <summary>The state the session hands the chair to (regular CSC sessions); empty: Article 13's default.</summary>
    [JsonPropertyName("chair_handed_to")]
    public string ChairHandedTo { get; set; } = "";
}

public sealed class RelationStep
{
    public string Id { get; set; } = "";

    public string Counterpart { get; set; } = "";

    /// <summary>RELATION_KIND_OBSERVER_STATUS, RELATION_KIND_JOINT_DECLARATION or RELATION_KIND_MEMORANDUM.</summary>
    public string Kind { get; set; } = "";

    public string Summary { get; set; } = "";

    public string Place { get; set; } = "";
}

public sealed class BodyObserverStep
{
    public string Body { get; set; } = "";

    public string Observer { get; set; } = "";

    /// <summary>OBSERVER_KIND_STATE or OBSERVER_KIND_ORGANIZATION.</summary>
    public string Kind { get; set; } = "OBSERVER_KIND_STATE";

    [JsonPropertyName("display_name")]
    public string DisplayName { get; set; } = "";
}

public sealed class DraftStep
{
    public string Id { get; set; } = "";

    public string Title { get; set; } = "";

    public JsonElement Payload { get; set; }

    public bool Procedural { get; set; }

    public string? EffectiveDate { get; set; }

    public PositionsStep Positions { get; set; } = new();

    /// <summary>Where this draft's facts come from, when it differs from the step's.</summary>
    public JsonElement Provenance { get; set; }
}

/// <summary>Who took which position; "support": "all" means every state with a voice not listed elsewhere.</summary>
public sealed class PositionsStep
{
    public JsonElement Support { get; set; }

    public List<string> Object { get; set; } = [];

    [JsonPropertyName("not_participating")]
    public List<string> NotParticipating { get; set; } = [];

    public List<string> Absent { get; set; } = [];
}
