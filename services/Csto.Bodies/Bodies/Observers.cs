using System.Text.RegularExpressions;
using Csto.Bodies.V1;
using Csto.EventLog.V1;
using Csto.Operations.V1;

namespace Csto.Bodies.Bodies;

/// <summary>A body's stream "body-{id}": its establishment (when seeded there) and its observers.</summary>
public sealed record BodyStream(BodyEstablished? Established, IReadOnlyList<BodyObserver> Observers)
{
    public static BodyStream Of(IReadOnlyList<EventRecord> records)
    {
        BodyEstablished? established = null;
        var observers = new List<BodyObserver>();
        foreach (var record in records)
        {
            switch (EventTypes.Parse(record))
            {
                case BodyEstablished b:
                    established = b;
                    break;
                case BodyObserverAdmitted a:
                    observers.Add(Bodies.Observers.ToView(a, record.Metadata?.Provenance));
                    break;
                case BodyObserverEnded e:
                    Bodies.Observers.Apply(observers, e);
                    break;
            }
        }

        return new BodyStream(established, observers);
    }
}

public sealed record AdmitBodyObserver(string Observer, ObserverKind Kind, Csto.Common.V1.Date? AdmittedOn, string DisplayName);

public sealed record EndBodyObserver(string Observer, Csto.Common.V1.Date? EndedOn, string Reason);

/// <summary>
/// Observers of a body (Charter Article 21 applied to a body, e.g. Serbia and Afghanistan at the Parliamentary
/// Assembly from 2014): a state that is not a member, or an organization, from a date until an end.
/// </summary>
public static partial class Observers
{
    public static Verdict Admit(BodyInfo body, IReadOnlyList<BodyObserver> observers, Csto.EventLog.Roster.RosterView roster, AdmitBodyObserver command)
    {
        if (command.Kind is not (ObserverKind.State or ObserverKind.Organization))
        {
            return Verdict.Invalid("kind", "state or organization");
        }

        if (command.Kind == ObserverKind.State && StateCodes.Problem(command.Observer, "observer") is { } badState)
        {
            return badState;
        }

        if (command.Kind == ObserverKind.Organization && !ObserverCodes.IsOrganization(command.Observer))
        {
            return Verdict.Invalid("observer", "an organization's code: upper-case letters, digits and '-', 2 to 16");
        }

        if (!Dates.TryGet(command.AdmittedOn, out var day))
        {
            return Verdict.Invalid("admitted_on", "a valid date is required");
        }

        if (day < body.FoundedOn)
        {
            return Verdict.Rule("BODY_NOT_FOUNDED", $"{body.Name} exists from {body.FoundedOn.ToIso()}");
        }

        if (observers.Any(o => o.Observer == command.Observer && o.EndedOn is null))
        {
            return Verdict.Rule("ALREADY_OBSERVER", $"{command.Observer} observes {body.Name} already");
        }

        if (command.Kind == ObserverKind.State && roster.StatusOn(command.Observer!, day) is Csto.Membership.V1.MemberStatus.Member or Csto.Membership.V1.MemberStatus.Suspended or Csto.Membership.V1.MemberStatus.Frozen)
        {
            return Verdict.Rule("OBSERVER_IS_A_MEMBER", $"{command.Observer} is a member on {day.ToIso()}; it sits in the body, it does not observe it");
        }

        return Verdict.Accept(new BodyObserverAdmitted { BodyId = body.Id, Observer = command.Observer, Kind = command.Kind, AdmittedOn = day.ToProto(), DisplayName = command.DisplayName ?? "" });
    }

    public static Verdict End(BodyInfo body, IReadOnlyList<BodyObserver> observers, EndBodyObserver command)
    {
        if (!Dates.TryGet(command.EndedOn, out var day))
        {
            return Verdict.Invalid("ended_on", "a valid date is required");
        }

        var current = observers.LastOrDefault(o => o.Observer == command.Observer && o.EndedOn is null);
        if (current is null)
        {
            return Verdict.Rule("NOT_AN_OBSERVER", $"{command.Observer} does not observe {body.Name}");
        }

        return day <= current.AdmittedOn.ToDateOnly()
            ? Verdict.Invalid("ended_on", $"after the admission on {current.AdmittedOn.ToDateOnly().ToIso()}")
            : Verdict.Accept(new BodyObserverEnded { BodyId = body.Id, Observer = command.Observer, EndedOn = day.ToProto(), Reason = command.Reason ?? "" });
    }

    public static BodyObserver ToView(BodyObserverAdmitted a, Csto.Common.V1.Provenance? provenance) => new()
    {
        Observer = a.Observer, Kind = a.Kind, DisplayName = a.DisplayName, AdmittedOn = a.AdmittedOn, Provenance = provenance,
    };

    public static void Apply(List<BodyObserver> observers, BodyObserverEnded e)
    {
        if (observers.LastOrDefault(o => o.Observer == e.Observer && o.EndedOn is null) is { } current)
        {
            current.EndedOn = e.EndedOn;
        }
    }
}
