using Csto.Bodies.Bodies;
using Csto.Bodies.Drafts;
using Csto.Bodies.Operations;
using Csto.Bodies.Sessions;
using Csto.Bodies.Shared;
using Csto.Bodies.V1;

namespace Csto.Bodies.Api;

/// <summary>Resources as clients see them, built from the entities' states.</summary>
public static class Views
{
    public static Body ToBody(BodyInfo b)
    {
        return new Body
        {
            Name = "bodies/" + b.Id,
            BodyId = b.Id,
            DisplayName = b.Name,
            Parent = b.ParentId.Length == 0 ? "" : "bodies/" + b.ParentId,
            FoundedOn = b.FoundedOn.ToProto(),
            Rule = b.Rule,
            ProceduralByMajority = b.ProceduralByMajority,
            AllowedKinds = { b.AllowedKinds.Order() },
            Temporary = b.Temporary,
            EstablishedBy = b.EstablishedBy,
            Observers = { b.Observers },
            Provenance = b.Provenance,
        };
    }

    public static Session ToSession(SessionInfo s)
    {
        return new Session
        {
            Name = s.Name,
            Body = "bodies/" + s.BodyId,
            Date = s.Date.ToProto(),
            Place = s.Place,
            HostState = s.HostState,
            Regular = s.Regular,
            Format = s.Format,
            Agenda = { s.Agenda },
            ChairHandedTo = s.ChairHandedTo,
            Provenance = s.Provenance,
        };
    }

    public static Draft ToDraft(DraftState s)
    {
        var draft = new Draft
        {
            Name = s.DraftName,
            Session = s.Tabled.Session,
            Body = "bodies/" + s.Tabled.BodyId,
            SessionDate = s.Tabled.SessionDate,
            Title = s.Tabled.Title,
            Payload = s.Tabled.Payload,
            Procedural = s.Tabled.Procedural,
            Status = s.Status,
            Positions = { s.Positions.Select(p => new StatePosition { State = p.Key, Position = p.Value }) },
        };
        if (s.Adopted is { } a)
        {
            draft.Rule = a.Rule;
            draft.Reason = a.Reason;
            draft.Counts = a.Counts;
            draft.Decision = s.DecisionName;
        }
        else if (s.Returned is { } r)
        {
            draft.Rule = r.Rule;
            draft.Reason = r.Reason;
            draft.Counts = r.Counts;
        }
        else if (s.Withdrawn is { } w)
        {
            draft.Reason = w.Reason;
        }

        return draft;
    }

    public static Decision? ToDecision(DraftState s)
    {
        if (s.Adopted is not { } a)
        {
            return null;
        }

        var joined = s.Joined.Select(j => j.State).ToHashSet(StringComparer.Ordinal);
        var decision = new Decision
        {
            Name = s.DecisionName,
            Draft = s.DraftName,
            Body = "bodies/" + a.BodyId,
            Session = a.Session,
            SessionDate = a.SessionDate,
            EffectiveDate = a.EffectiveDate,
            Title = a.Title,
            Kind = DecisionKinds.Of(a.Payload),
            Payload = a.Payload,
            Rule = a.Rule,
            Reason = a.Reason,
            Counts = a.Counts,
            Positions = { a.Positions },
            BoundStates = { a.BoundStates.Select(b => new BoundState { State = b, Since = a.EffectiveDate }) },
            MayJoinStates = { a.MayJoinStates.Where(m => !joined.Contains(m)) },
            ExcludedStates = { a.ExcludedStates },
            Provenance = s.Provenance,
            PositionsProvenance = s.PositionsProvenance,
        };
        decision.BoundStates.AddRange(s.Joined.Select(j => new BoundState { State = j.State, Since = j.JoinedOn, Joined = true }));
        decision.AuthorizedOperations.AddRange(OperationReports.Latest(s.Reports));
        return decision;
    }
}
