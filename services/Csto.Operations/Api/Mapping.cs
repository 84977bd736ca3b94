using Csto.EventLog.Api;
using Csto.Operations.Operations;
using Csto.Operations.Shared;
using Csto.Operations.V1;
using Grpc.Core;

namespace Csto.Operations.Api;

/// <summary>State to API messages.</summary>
public static class Mapping
{
    public static OperationStatus StatusOn(OperationState op, DateOnly day) =>
        day < op.Start ? OperationStatus.Planned
        : op.End is { } end && day > end ? OperationStatus.Closed
        : OperationStatus.Active;

    public static Operation ToApi(OperationState op, DateOnly asOf, bool withReports, EventLog.Roster.RosterView roster)
    {
        var result = new Operation
        {
            Provenance = op.Provenance,
            Name = op.Name,
            DisplayName = op.DisplayName,
            Kind = op.Kind,
            StartDate = op.Start.ToProto(),
            EndDate = op.End.ToProto(),
            Permanent = op.Permanent,
            Status = StatusOn(op, asOf),
            Decision = op.Decision,
            BodyId = op.BodyId,
            UnMandateReference = op.UnMandateReference,
            OutsideMemberTerritory = op.OutsideMemberTerritory,
            Closed = op.Closed,
            RequestedBy = op.RequestedBy,
            LegalBasis = op.LegalBasis,
        };
        result.LaterDecisions.AddRange(op.LaterDecisionsInOrder);
        result.Participants.AddRange(op.Participants.Values.OrderBy(p => p.State, StringComparer.Ordinal).Select(p => ToApi(p, op, roster, asOf)));
        result.Observers.AddRange(op.Observers.Values.OrderBy(o => o.Observer, StringComparer.Ordinal).Select(ToApi));
        result.Stages.AddRange(op.Stages.Values.OrderBy(s => s.Start).ThenBy(s => s.Name, StringComparer.Ordinal).Select(ToApi));
        if (withReports)
        {
            result.Reports.AddRange(op.Reports.Values.OrderBy(r => r.ReportDate).ThenBy(r => r.Name, StringComparer.Ordinal).Select(r => ToApi(r, r.Latest)));
        }

        return result;
    }

    /// <summary>A participant: its latest joining and leaving as recorded, and the periods it really took part (<see cref="Participants.Participation.RealPeriods"/>).</summary>
    public static Participant ToApi(ParticipantState p, OperationState op, EventLog.Roster.RosterView roster, DateOnly asOf)
    {
        ArgumentNullException.ThrowIfNull(p);
        var result = new Participant { State = p.State, JoinDate = p.JoinDate.ToProto(), LeftOn = p.LeftOn.ToProto(), ReasonLeft = p.Latest.ReasonLeft };
        result.Agencies.AddRange(p.Agencies);
        result.Periods.AddRange(Participants.Participation.RealPeriods(p, op, roster, asOf).Select(x => new ParticipationPeriod { JoinDate = x.JoinDate.ToProto(), LeftOn = x.LeftOn.ToProto(), ReasonLeft = x.ReasonLeft }));
        return result;
    }

    public static Observer ToApi(ObserverState o)
    {
        return new Observer { Observer_ = o.Observer, Kind = o.Kind, AdmittedOn = o.AdmittedOn.ToProto(), Stage = o.Stage };
    }

    public static Stage ToApi(StageState s)
    {
        return new Stage { Name = s.Name, DisplayName = s.DisplayName, StartDate = s.Start.ToProto(), EndDate = s.End.ToProto(), Closed = s.Closed };
    }

    public static OutcomeReport ToApi(ReportState r, ReportVersion v)
    {
        return new OutcomeReport
        {
            Name = r.Name,
            State = r.State,
            Stage = r.Stage,
            ReportDate = r.ReportDate.ToProto(),
            Version = v.Version,
            VersionDate = v.Date.ToProto(),
            Figures = v.Figures,
            CorrectionReason = v.Reason,
            Provenance = v.Provenance,
        };
    }
}
