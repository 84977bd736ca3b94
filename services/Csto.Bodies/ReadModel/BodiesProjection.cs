using Csto.Bodies.Bodies;
using Csto.Bodies.V1;
using Csto.EventLog.Projections;
using Csto.EventLog.V1;
using Google.Protobuf;

namespace Csto.Bodies.ReadModel;

/// <summary>
/// Indexes for queries and lists: the body tree and its observers, sessions, posts (chairs, Secretaries General),
/// drafts, decisions and the positions states took. Streams stay the source of an entity's details; rows of facts
/// keep the provenance their write gave (the record's metadata).
/// </summary>
public sealed class BodiesProjection : IProjection
{
    public const string ProjectionName = "bodies";

    public string Name => ProjectionName;

    public IReadOnlyList<ProjectionTable> Tables { get; } =
    [
        new("proj_bodies_body", "body_id TEXT PRIMARY KEY, parent_id TEXT NOT NULL, founded_on TEXT NOT NULL, name_key TEXT NOT NULL, position INTEGER NOT NULL, data BLOB NOT NULL, prov BLOB NOT NULL"),
        new("proj_bodies_observer", "position INTEGER PRIMARY KEY, body_id TEXT NOT NULL, observer TEXT NOT NULL, data BLOB NOT NULL, prov BLOB NOT NULL", "body_id"),
        new("proj_bodies_session", "session_id TEXT PRIMARY KEY, body_id TEXT NOT NULL, date TEXT NOT NULL, host_state TEXT NOT NULL, position INTEGER NOT NULL", "body_id", "date"),
        new("proj_bodies_chair", "position INTEGER PRIMARY KEY, body_id TEXT NOT NULL, from_date TEXT NOT NULL, data BLOB NOT NULL, prov BLOB NOT NULL"),
        new("proj_bodies_secretary_general", "position INTEGER PRIMARY KEY, term_start TEXT NOT NULL, term_end TEXT NOT NULL, data BLOB NOT NULL, prov BLOB NOT NULL"),
        new("proj_bodies_secretary_general_end", "position INTEGER PRIMARY KEY, data BLOB NOT NULL, prov BLOB NOT NULL"),
        new("proj_bodies_draft", "draft_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, body_id TEXT NOT NULL, status INTEGER NOT NULL, position INTEGER NOT NULL", "session_id", "body_id"),
        new("proj_bodies_decision", "decision_id TEXT PRIMARY KEY, body_id TEXT NOT NULL, session_id TEXT NOT NULL, kind INTEGER NOT NULL, rule INTEGER NOT NULL, effective_date TEXT NOT NULL, position INTEGER NOT NULL", "body_id", "effective_date", "session_id"),
        new("proj_bodies_decision_bound", "decision_id TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY(decision_id, state)", "state"),
        new("proj_bodies_relation", "relation_id TEXT PRIMARY KEY, counterpart_key TEXT NOT NULL, effective_date TEXT NOT NULL, position INTEGER NOT NULL, data BLOB NOT NULL, prov BLOB NOT NULL"),
        new("proj_bodies_position", "draft_id TEXT NOT NULL, state TEXT NOT NULL, body_id TEXT NOT NULL, position_taken INTEGER NOT NULL, position INTEGER NOT NULL, PRIMARY KEY(draft_id, state)", "state, position"),
    ];

    public void Apply(EventRecord record, ProjectionWriter writer)
    {
        switch (Kernel.EventTypes.Parse(record))
        {
            case BodyEstablished b:
                writer.Execute("proj_bodies_body", "INSERT INTO {t}(body_id, parent_id, founded_on, name_key, position, data, prov) VALUES (@id, @p, @f, @n, @pos, @d, @prov) ON CONFLICT DO NOTHING",
                    ("@id", b.BodyId), ("@p", b.ParentBodyId), ("@f", b.FoundedOn.ToDateOnly().ToIso()), ("@n", BodyInfo.NameKey(b.Name)), ("@pos", record.Position), ("@d", b.ToByteArray()), ("@prov", Prov(record)));
                break;
            case BodyObserverAdmitted o:
                writer.Execute("proj_bodies_observer", "INSERT INTO {t}(position, body_id, observer, data, prov) VALUES (@pos, @b, @o, @d, @prov) ON CONFLICT DO NOTHING",
                    ("@pos", record.Position), ("@b", o.BodyId), ("@o", o.Observer), ("@d", Any(o)), ("@prov", Prov(record)));
                break;
            case BodyObserverEnded e:
                writer.Execute("proj_bodies_observer", "INSERT INTO {t}(position, body_id, observer, data, prov) VALUES (@pos, @b, @o, @d, @prov) ON CONFLICT DO NOTHING",
                    ("@pos", record.Position), ("@b", e.BodyId), ("@o", e.Observer), ("@d", Any(e)), ("@prov", Prov(record)));
                break;
            case ExternalRelationRecorded x:
                writer.Execute("proj_bodies_relation", "INSERT INTO {t}(relation_id, counterpart_key, effective_date, position, data, prov) VALUES (@id, @c, @e, @pos, @d, @prov) ON CONFLICT DO NOTHING",
                    ("@id", Tail(x.Relation)), ("@c", BodyInfo.NameKey(x.Counterpart)), ("@e", x.EffectiveDate.ToDateOnly().ToIso()), ("@pos", record.Position), ("@d", x.ToByteArray()), ("@prov", Prov(record)));
                break;
            case SessionConvened s:
                writer.Execute("proj_bodies_session", "INSERT INTO {t}(session_id, body_id, date, host_state, position) VALUES (@id, @b, @d, @h, @pos) ON CONFLICT DO NOTHING",
                    ("@id", Tail(s.Session)), ("@b", s.BodyId), ("@d", s.Date.ToDateOnly().ToIso()), ("@h", s.HostState), ("@pos", record.Position));
                break;
            case ChairAssumed c:
                writer.Execute("proj_bodies_chair", "INSERT INTO {t}(position, body_id, from_date, data, prov) VALUES (@pos, @b, @f, @d, @prov) ON CONFLICT DO NOTHING",
                    ("@pos", record.Position), ("@b", c.BodyId), ("@f", c.FromDate.ToDateOnly().ToIso()), ("@d", c.ToByteArray()), ("@prov", Prov(record)));
                break;
            case SecretaryGeneralAppointed a:
                writer.Execute("proj_bodies_secretary_general", "INSERT INTO {t}(position, term_start, term_end, data, prov) VALUES (@pos, @s, @e, @d, @prov) ON CONFLICT DO NOTHING",
                    ("@pos", record.Position), ("@s", a.TermStart.ToDateOnly().ToIso()), ("@e", a.TermEnd.ToDateOnly().ToIso()), ("@d", a.ToByteArray()), ("@prov", Prov(record)));
                break;
            case SecretaryGeneralTermEnded e:
                writer.Execute("proj_bodies_secretary_general_end", "INSERT INTO {t}(position, data, prov) VALUES (@pos, @d, @prov) ON CONFLICT DO NOTHING",
                    ("@pos", record.Position), ("@d", e.ToByteArray()), ("@prov", Prov(record)));
                break;
            case DraftTabled t:
                writer.Execute("proj_bodies_draft", "INSERT INTO {t}(draft_id, session_id, body_id, status, position) VALUES (@id, @s, @b, @st, @pos) ON CONFLICT DO NOTHING",
                    ("@id", Tail(t.Draft)), ("@s", Tail(t.Session)), ("@b", t.BodyId), ("@st", (int)DraftStatus.Open), ("@pos", record.Position));
                break;
            case DecisionReturned r:
                SetStatus(writer, r.Draft, DraftStatus.Returned);
                Positions(writer, r.Draft, r.BodyId, r.Positions, record.Position);
                break;
            case DraftWithdrawn w:
                SetStatus(writer, w.Draft, DraftStatus.Withdrawn);
                break;
            case DecisionAdopted a:
                var draft = a.Draft.Length > 0 ? a.Draft : a.Decision;
                SetStatus(writer, draft, DraftStatus.Adopted);
                writer.Execute("proj_bodies_decision", "INSERT INTO {t}(decision_id, body_id, session_id, kind, rule, effective_date, position) VALUES (@id, @b, @s, @k, @r, @e, @pos) ON CONFLICT DO NOTHING",
                    ("@id", Tail(a.Decision)), ("@b", a.BodyId), ("@s", Tail(a.Session)), ("@k", (int)DecisionKinds.Of(a.Payload)), ("@r", (int)a.Rule), ("@e", a.EffectiveDate.ToDateOnly().ToIso()), ("@pos", record.Position));
                foreach (var state in a.BoundStates)
                {
                    Bind(writer, a.Decision, state);
                }

                Positions(writer, draft, a.BodyId, a.Positions, record.Position);
                break;
            case DecisionJoined j:
                Bind(writer, j.Decision, j.State);
                break;
        }
    }

    /// <summary>The provenance a row of facts keeps: encoded only for the events whose rows keep it (not for drafts, decisions, positions).</summary>
    static byte[] Prov(EventRecord record) => record.Metadata?.Provenance?.ToByteArray() ?? [];

    /// <summary>An observer row holds either event, packed with its type so one table keeps the order of both.</summary>
    static byte[] Any(IMessage message) => Google.Protobuf.WellKnownTypes.Any.Pack(message).ToByteArray();

    static void SetStatus(ProjectionWriter writer, string draft, DraftStatus status) =>
        writer.Execute("proj_bodies_draft", "UPDATE {t} SET status = @st WHERE draft_id = @id", ("@st", (int)status), ("@id", Tail(draft)));

    static void Bind(ProjectionWriter writer, string decision, string state) =>
        writer.Execute("proj_bodies_decision_bound", "INSERT INTO {t}(decision_id, state) VALUES (@id, @s) ON CONFLICT DO NOTHING", ("@id", Tail(decision)), ("@s", state));

    static void Positions(ProjectionWriter writer, string draft, string body, IEnumerable<StatePosition> positions, long position)
    {
        foreach (var p in positions)
        {
            writer.Execute("proj_bodies_position", "INSERT INTO {t}(draft_id, state, body_id, position_taken, position) VALUES (@d, @s, @b, @p, @pos) ON CONFLICT DO NOTHING",
                ("@d", Tail(draft)), ("@s", p.State), ("@b", body), ("@p", (int)p.Position), ("@pos", position));
        }
    }

    static string Tail(string name) => name[(name.IndexOf('/', StringComparison.Ordinal) + 1)..];
}
