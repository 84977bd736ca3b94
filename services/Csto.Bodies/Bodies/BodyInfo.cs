using Csto.Bodies.Shared;
using Csto.Bodies.V1;

namespace Csto.Bodies.Bodies;

/// <summary>A body as the rules need it.</summary>
public sealed record BodyInfo(
    string Id,
    string Name,
    string ParentId,
    DateOnly FoundedOn,
    DecisionRule Rule,
    bool ProceduralByMajority,
    IReadOnlySet<DecisionKind> AllowedKinds,
    bool Temporary,
    string EstablishedBy)
{
    /// <summary>Where the body's establishment comes from.</summary>
    public Csto.Common.V1.Provenance? Provenance { get; init; }

    /// <summary>Its observers (admissions and ends), in log order.</summary>
    public IReadOnlyList<BodyObserver> Observers { get; init; } = [];

    /// <summary>The form of a display name two bodies are compared by.</summary>
    public static string NameKey(string name) => string.Join(' ', (name ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToUpperInvariant();

    public static BodyInfo From(BodyEstablished e)
    {
        return new(e.BodyId, e.Name, e.ParentBodyId, e.FoundedOn.ToDateOnly(), e.Rule, e.ProceduralByMajority,
            e.AllowedKinds.ToHashSet(), e.Temporary, e.Cause?.KindCase == Csto.Common.V1.Cause.KindOneofCase.Decision ? e.Cause.Decision : "");
    }
}

public static class DecisionKinds
{
    public static DecisionKind Of(DecisionPayload? payload) => payload?.KindCase switch
    {
        DecisionPayload.KindOneofCase.AdmitMember => DecisionKind.AdmitMember,
        DecisionPayload.KindOneofCase.SuspendMember => DecisionKind.SuspendMember,
        DecisionPayload.KindOneofCase.RestoreMember => DecisionKind.RestoreMember,
        DecisionPayload.KindOneofCase.ExcludeMember => DecisionKind.ExcludeMember,
        DecisionPayload.KindOneofCase.AppointSecretaryGeneral => DecisionKind.AppointSecretaryGeneral,
        DecisionPayload.KindOneofCase.EstablishBody => DecisionKind.EstablishBody,
        DecisionPayload.KindOneofCase.AuthorizeOperation => DecisionKind.AuthorizeOperation,
        DecisionPayload.KindOneofCase.ExtendOperation => DecisionKind.ExtendOperation,
        DecisionPayload.KindOneofCase.ConcludeOperation => DecisionKind.ConcludeOperation,
        DecisionPayload.KindOneofCase.CollectiveStatement => DecisionKind.CollectiveStatement,
        DecisionPayload.KindOneofCase.StrategyOrProgramme => DecisionKind.StrategyOrProgramme,
        DecisionPayload.KindOneofCase.AssignChairmanship => DecisionKind.AssignChairmanship,
        DecisionPayload.KindOneofCase.General => DecisionKind.General,
        DecisionPayload.KindOneofCase.EndSecretaryGeneralTerm => DecisionKind.EndSecretaryGeneralTerm,
        _ => DecisionKind.Unspecified,
    };

    /// <summary>The state a decision is about (suspend, restore, exclude): it has no voice on it.</summary>
    public static string? StateConcerned(DecisionPayload? payload) => payload?.KindCase switch
    {
        DecisionPayload.KindOneofCase.SuspendMember => payload.SuspendMember.State,
        DecisionPayload.KindOneofCase.RestoreMember => payload.RestoreMember.State,
        DecisionPayload.KindOneofCase.ExcludeMember => payload.ExcludeMember.State,
        _ => null,
    };
}
