using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog.Commands;
using Csto.EventLog.V1;

namespace Csto.Bodies.Bodies;

/// <summary>
/// The statutory body tree of domain.md. Seeded as BodyEstablished events (stream "body-{id}") with deterministic
/// event ids, so the tree lives in the log like every other fact (replayable, exported, published) and re-seeding at
/// every start is a no-op. Bodies the CSC creates later come from EstablishBody decisions.
/// Founding dates: the CSC from the Treaty (1992-05-15); the Charter bodies from its entry into force (2003-09-18);
/// the Parliamentary Assembly from 2006 (domain.md gives the year only: 2006-01-01 is chosen, and its provenance says
/// so). The Military Committee is not seeded: the CSC decision of 2012-12-19 establishes it (once; establishing it again
/// is ALREADY_EXISTS).
/// </summary>
public static class ReferenceData
{
    const int Version = 1;
    static readonly DecisionKind[] Statements = [DecisionKind.CollectiveStatement, DecisionKind.StrategyOrProgramme, DecisionKind.General];

    public static IReadOnlyList<BodyEstablished> Bodies { get; } =
    [
        Body("csc", "Collective Security Council", "", new(1992, 5, 15), DecisionRule.Consensus, true,
            [.. Enum.GetValues<DecisionKind>().Where(k => k != DecisionKind.Unspecified)], "Collective Security Treaty, Tashkent, Article 3"),
        Body("permanent-council", "Permanent Council", "csc", new(2003, 9, 18), DecisionRule.Consensus, true, [DecisionKind.General, DecisionKind.CollectiveStatement], "CSTO Charter"),
        Body("cmfa", "Council of Foreign Ministers", "csc", new(2003, 9, 18), DecisionRule.Consensus, true, Statements, "CSTO Charter"),
        Body("cmd", "Council of Defence Ministers", "csc", new(2003, 9, 18), DecisionRule.Consensus, true, Statements, "CSTO Charter"),
        Body("cssc", "Committee of Secretaries of Security Councils", "csc", new(2003, 9, 18), DecisionRule.Consensus, true, Statements, "CSTO Charter"),
        Body("secretariat", "Secretariat", "csc", new(2003, 9, 18), DecisionRule.Unspecified, false, [], "CSTO Charter"),
        Body("joint-staff", "Joint Staff", "cmd", new(2003, 9, 18), DecisionRule.Unspecified, false, [], "CSTO Charter"),
        Body("parliamentary-assembly", "Parliamentary Assembly", "", new(2006, 1, 1), DecisionRule.SimpleMajority, false, [DecisionKind.General, DecisionKind.CollectiveStatement], "Parliamentary Assembly, 2006"),
    ];

    static BodyEstablished Body(string id, string name, string parent, DateOnly founded, DecisionRule rule, bool procedural, DecisionKind[] kinds, string act) => new()
    {
        BodyId = id,
        Name = name,
        ParentBodyId = parent,
        FoundedOn = founded.ToProto(),
        Rule = rule,
        ProceduralByMajority = procedural,
        AllowedKinds = { kinds },
        Cause = new Cause { TreatyAct = act },
    };

    /// <summary>The seed of one body: established once (a stream that has its event already is left alone).</summary>
    public static Command<int> Seed(BodyEstablished body) =>
        new("body-" + body.BodyId, records => records.Count, count => count > 0 ? Verdict.Nothing : Verdict.Accept(body))
        {
            EffectiveDate = body.FoundedOn.ToDateOnly(),
        };

    public static string SeedKey(BodyEstablished body) => $"seed|body|{body.BodyId}|{Version}";

    /// <summary>Where a seeded body comes from: its founding act, and for the Assembly the chosen day inside 2006.</summary>
    public static Provenance ProvenanceOf(BodyEstablished body) => body.BodyId == "parliamentary-assembly"
        ? new Provenance { Source = "shared/domain.md, Bodies: Parliamentary Assembly since 2006", Basis = Basis.Chosen, Reason = "the source gives the year only; 2006-01-01 is chosen as the founding day" }
        : new Provenance { Source = "shared/domain.md, Bodies; " + body.Cause.TreatyAct, Basis = Basis.Sourced };
}

/// <summary>Appends the reference data before the service takes requests; the deterministic ids make it idempotent.</summary>
public sealed class ReferenceDataSeeder(CommandPath commands) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var body in ReferenceData.Bodies)
        {
            var metadata = new EventMetadata
            {
                CorrelationId = "seed", CausationId = "reference-data", Actor = new Actor { Subject = "bodies:reference-data", Role = "system" },
                Provenance = ReferenceData.ProvenanceOf(body),
            };
            await commands.ExecuteSystemAsync(ReferenceData.Seed(body), ReferenceData.SeedKey(body), metadata, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
