using Csto.Bodies.Bodies;
using Csto.Bodies.Drafts;
using Csto.Bodies.Sessions;
using Csto.Bodies.V1;
using Csto.Membership.V1;
using Google.Protobuf;
using Csto.EventLog.Roster;

namespace Csto.Bodies.Tests;

/// <summary>The facts the specs start from: the domain.md timeline, the reference body tree.</summary>
static class Given
{
    public static readonly string[] Founders = ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"];

    public static DateOnly D(int y, int m, int d) => new(y, m, d);

    /// <summary>Six members from 1994-04-20; Uzbekistan back from 2006-06-23; extra acts appended in order.</summary>
    public static RosterView Members(params (string State, MemberStatus Status, DateOnly Date)[] later)
    {
        var entries = new List<RosterEntry>();
        foreach (var s in Founders)
        {
            entries.Add(new(s, MemberStatus.Signatory, D(1992, 5, 15), 1));
            entries.Add(new(s, MemberStatus.Member, D(1994, 4, 20), 2));
        }

        entries.Add(new("UZB", MemberStatus.Signatory, D(1992, 5, 15), 1));
        entries.Add(new("UZB", MemberStatus.Member, D(1994, 4, 20), 2));
        entries.Add(new("UZB", MemberStatus.Withdrawn, D(1999, 4, 20), 3));
        entries.Add(new("UZB", MemberStatus.Member, D(2006, 6, 23), 4));
        foreach (var (state, status, date) in later)
        {
            entries.Add(new(state, status, date, entries.Where(e => e.State == state).Select(e => e.SourceVersion).DefaultIfEmpty(0).Max() + 1));
        }

        return new RosterView(entries);
    }

    public static readonly RosterView Roster2024 = Members(("UZB", MemberStatus.Suspended, D(2012, 12, 19)), ("ARM", MemberStatus.Frozen, D(2024, 2, 22)));

    /// <summary>The seeded tree, and the Military Committee as the 2012-12-19 decision establishes it.</summary>
    public static IReadOnlyDictionary<string, BodyInfo> Tree { get; } = ReferenceData.Bodies.Select(BodyInfo.From)
        .Append(new BodyInfo("military-committee", "Military Committee", "cmd", D(2012, 12, 19), DecisionRule.Consensus, false, new HashSet<DecisionKind> { DecisionKind.General }, false, "decisions/military-committee"))
        .ToDictionary(b => b.Id);

    public static BodyInfo Csc => Tree["csc"];

    public static SessionInfo Session(DateOnly date, string body = "csc") => new("s1", body, date, "Moscow", "RUS", true, SessionFormat.InPerson, []);

    public static DecisionPayload Statement => new() { CollectiveStatement = new CollectiveStatement { Title = "Statement" } };

    public static DecisionPayload Suspend(string state) => new() { SuspendMember = new SuspendMember { State = state, Grounds = "at the request of the state" } };

    /// <summary>A draft tabled on a session of the body on the date, with the positions given.</summary>
    public static DraftState Draft(DateOnly date, DecisionPayload? payload = null, bool procedural = false, string body = "csc", params (string State, Position Position)[] positions)
    {
        var events = new List<IMessage>
        {
            new DraftTabled { Draft = "drafts/d1", Session = "sessions/s1", BodyId = body, SessionDate = date.ToProto(), Title = "Draft", Payload = payload ?? Statement, Procedural = procedural },
        };
        events.AddRange(positions.Select(p => new PositionRecorded { Draft = "drafts/d1", State = p.State, Position = p.Position }));
        return DraftState.Fold(events)!;
    }

    public static (string, Position)[] All(Position position, params string[] states) => [.. states.Select(s => (s, position))];

    public static CloseDraft Decide => new(CloseAction.Decide, null, "");
}
