using Csto.Bodies.Bodies;
using Csto.EventLog.Roster;
using Csto.Bodies.V1;
using Google.Protobuf;

namespace Csto.Bodies.Sessions;

public sealed record SessionInfo(string Id, string BodyId, DateOnly Date, string Place, string HostState, bool Regular, SessionFormat Format, IReadOnlyList<string> Agenda)
{
    public string Name => "sessions/" + Id;

    /// <summary>The state the session handed the chair to; empty: Article 13's default.</summary>
    public string ChairHandedTo { get; init; } = "";

    /// <summary>Where the session's record comes from (the metadata of its SessionConvened).</summary>
    public Csto.Common.V1.Provenance? Provenance { get; init; }

    /// <summary>The session of a stream's records (null: none convened there).</summary>
    public static SessionInfo? Of(IReadOnlyList<Csto.EventLog.V1.EventRecord> records)
    {
        foreach (var record in records)
        {
            if (EventTypes.Parse(record) is SessionConvened convened)
            {
                return From(convened) with { Provenance = record.Metadata?.Provenance };
            }
        }

        return null;
    }

    public static SessionInfo From(SessionConvened e)
    {
        return new(e.Session["sessions/".Length..], e.BodyId, e.Date.ToDateOnly(), e.Place, e.HostState, e.Regular, e.Format, [.. e.Agenda]) { ChairHandedTo = e.ChairHandedTo };
    }
}

public sealed record ConveneSession(string SessionId, DateOnly Date, string Place, string HostState, bool Regular, SessionFormat Format, IReadOnlyList<string> Agenda, string ChairHandedTo = "");

public static class SessionDecide
{
    /// <summary>The body whose regular sessions pass the chairmanship (Charter Article 13).</summary>
    public const string Council = "csc";

    public static Verdict Convene(BodyInfo body, RosterView roster, ConveneSession command)
    {
        if (StateCodes.Problem(command.HostState, "host_state") is { } badHost)
        {
            return badHost;
        }

        if (string.IsNullOrWhiteSpace(command.Place))
        {
            return Verdict.Invalid("place", "the place of the session is required");
        }

        if (command.Date < body.FoundedOn)
        {
            return Verdict.Rule("SESSION_BEFORE_BODY_FOUNDED", $"{body.Name} exists from {body.FoundedOn.ToIso()}; a session on {command.Date.ToIso()} is impossible");
        }

        if (body.AllowedKinds.Count == 0)
        {
            return Verdict.Rule("BODY_TAKES_NO_DECISIONS", $"{body.Name} is a working body; it holds no sessions that take decisions");
        }

        var passesChair = command.Regular && body.Id == Council;
        var handover = command.ChairHandedTo ?? "";
        if (handover.Length > 0)
        {
            if (!passesChair)
            {
                return Verdict.Invalid("chair_handed_to", "only a regular session of the Collective Security Council hands the chair over");
            }

            if (StateCodes.Problem(handover, "chair_handed_to") is { } badState)
            {
                return badState;
            }

            // domain.md, "Chairmanship in practice": a state without a voice (suspended, frozen) cannot take the chair
            if (roster.ParticipationOn(handover, command.Date) != Participation.Voice)
            {
                return Verdict.Rule("CHAIR_NOT_A_MEMBER_WITH_VOICE", $"{handover} is not a member with a voice on {command.Date.ToIso()}; it cannot take the chair");
            }
        }
        else if (passesChair && roster.ParticipationOn(command.HostState, command.Date) != Participation.Voice)
        {
            return Verdict.Rule("HOST_NOT_A_MEMBER_WITH_VOICE", $"{command.HostState} is not a member with a voice on {command.Date.ToIso()}; its head cannot take the chair (Article 13)");
        }

        var session = "sessions/" + command.SessionId;
        var events = new List<IMessage>
        {
            new SessionConvened
            {
                Session = session,
                BodyId = body.Id,
                Date = command.Date.ToProto(),
                Place = command.Place,
                HostState = command.HostState,
                Regular = command.Regular,
                Format = command.Format == SessionFormat.Unspecified ? SessionFormat.InPerson : command.Format,
                Agenda = { command.Agenda },
                ChairHandedTo = handover,
            },
        };
        if (handover.Length > 0)
        {
            events.Add(new ChairAssumed { BodyId = body.Id, State = handover, FromDate = command.Date.ToProto(), Basis = ChairBasis.HandoverAtSession, Session = session });
        }
        else if (passesChair)
        {
            events.Add(new ChairAssumed { BodyId = body.Id, State = command.HostState, FromDate = command.Date.ToProto(), Basis = ChairBasis.HostOfRegularSession, Session = session });
        }

        return new Verdict(events, null);
    }
}
