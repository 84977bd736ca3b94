using Csto.Bodies.Bodies;
using Csto.Bodies.V1;
using Csto.EventLog.Projections;
using Csto.EventLog.V1;
using Google.Protobuf;

namespace Csto.Bodies.ReadModel;

/// <summary>Indexes for queries and lists: the body tree, posts, drafts and decisions. Streams stay the source of an entity's details.</summary>
public sealed class BodiesProjection : IProjection
{
    public string Name => "bodies";

    public IReadOnlyList<ProjectionTable> Tables { get; } =
    [
        new("proj_bodies_body", "body_id TEXT PRIMARY KEY, parent_id TEXT NOT NULL, founded_on TEXT NOT NULL, position INTEGER NOT NULL, data BLOB NOT NULL"),
        new("proj_bodies_chair", "position INTEGER PRIMARY KEY, body_id TEXT NOT NULL, from_date TEXT NOT NULL, data BLOB NOT NULL"),
        new("proj_bodies_secretary_general", "position INTEGER PRIMARY KEY, term_start TEXT NOT NULL, term_end TEXT NOT NULL, data BLOB NOT NULL"),
        new("proj_bodies_draft", "draft_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, body_id TEXT NOT NULL, status INTEGER NOT NULL, position INTEGER NOT NULL", "session_id", "body_id"),
        new("proj_bodies_decision", "decision_id TEXT PRIMARY KEY, body_id TEXT NOT NULL, kind INTEGER NOT NULL, effective_date TEXT NOT NULL, position INTEGER NOT NULL", "body_id", "effective_date"),
        new("proj_bodies_decision_bound", "decision_id TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY(decision_id, state)", "state"),
    ];

    public void Apply(EventRecord record, ProjectionWriter writer)
    {
        switch (Kernel.EventTypes.Parse(record))
        {
            case BodyEstablished b:
                writer.Execute("proj_bodies_body", "INSERT INTO {t}(body_id, parent_id, founded_on, position, data) VALUES (@id, @p, @f, @pos, @d) ON CONFLICT DO NOTHING",
                    ("@id", b.BodyId), ("@p", b.ParentBodyId), ("@f", b.FoundedOn.ToDateOnly().ToIso()), ("@pos", record.Position), ("@d", b.ToByteArray()));
                break;
            case ChairAssumed c:
                writer.Execute("proj_bodies_chair", "INSERT INTO {t}(position, body_id, from_date, data) VALUES (@pos, @b, @f, @d) ON CONFLICT DO NOTHING",
                    ("@pos", record.Position), ("@b", c.BodyId), ("@f", c.FromDate.ToDateOnly().ToIso()), ("@d", c.ToByteArray()));
                break;
            case SecretaryGeneralAppointed a:
                writer.Execute("proj_bodies_secretary_general", "INSERT INTO {t}(position, term_start, term_end, data) VALUES (@pos, @s, @e, @d) ON CONFLICT DO NOTHING",
                    ("@pos", record.Position), ("@s", a.TermStart.ToDateOnly().ToIso()), ("@e", a.TermEnd.ToDateOnly().ToIso()), ("@d", a.ToByteArray()));
                break;
            case DraftTabled t:
                writer.Execute("proj_bodies_draft", "INSERT INTO {t}(draft_id, session_id, body_id, status, position) VALUES (@id, @s, @b, @st, @pos) ON CONFLICT DO NOTHING",
                    ("@id", Tail(t.Draft)), ("@s", Tail(t.Session)), ("@b", t.BodyId), ("@st", (int)DraftStatus.Open), ("@pos", record.Position));
                break;
            case DecisionReturned r:
                SetStatus(writer, r.Draft, DraftStatus.Returned);
                break;
            case DraftWithdrawn w:
                SetStatus(writer, w.Draft, DraftStatus.Withdrawn);
                break;
            case DecisionAdopted a:
                SetStatus(writer, a.Draft.Length > 0 ? a.Draft : a.Decision, DraftStatus.Adopted);
                writer.Execute("proj_bodies_decision", "INSERT INTO {t}(decision_id, body_id, kind, effective_date, position) VALUES (@id, @b, @k, @e, @pos) ON CONFLICT DO NOTHING",
                    ("@id", Tail(a.Decision)), ("@b", a.BodyId), ("@k", (int)DecisionKinds.Of(a.Payload)), ("@e", a.EffectiveDate.ToDateOnly().ToIso()), ("@pos", record.Position));
                foreach (var state in a.BoundStates)
                {
                    Bind(writer, a.Decision, state);
                }

                break;
            case DecisionJoined j:
                Bind(writer, j.Decision, j.State);
                break;
        }
    }

    static void SetStatus(ProjectionWriter writer, string draft, DraftStatus status) =>
        writer.Execute("proj_bodies_draft", "UPDATE {t} SET status = @st WHERE draft_id = @id", ("@st", (int)status), ("@id", Tail(draft)));

    static void Bind(ProjectionWriter writer, string decision, string state) =>
        writer.Execute("proj_bodies_decision_bound", "INSERT INTO {t}(decision_id, state) VALUES (@id, @s) ON CONFLICT DO NOTHING", ("@id", Tail(decision)), ("@s", state));

    static string Tail(string name) => name[(name.IndexOf('/', StringComparison.Ordinal) + 1)..];
}
