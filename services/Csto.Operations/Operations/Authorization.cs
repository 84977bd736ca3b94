using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.Operations.Outcomes;
using Csto.Operations.Shared;
using Csto.Operations.Stages;
using Csto.Operations.V1;
using Google.Protobuf;

namespace Csto.Operations.Operations;

/// <summary>
/// What the decisions of the bodies do to operations: authorize (open), extend, conclude; and the close at
/// the end date. Pure: the operation's state (null when none has that name) and the decision in, events or
/// the violation out.
/// </summary>
public static partial class Authorization
{
    /// <summary>The Collective Security Council, the only body that may deploy the CRRF.</summary>
    public const string CollectiveSecurityCouncil = "csc";

    public static Verdict Authorize(OperationState? existing, DecisionAdopted decision)
    {
        var a = decision.Payload?.AuthorizeOperation ?? throw new ArgumentException("not an authorization", nameof(decision));
        const string f = "payload.authorize_operation.";
        if (!decision.Decision.StartsWith("decisions/", StringComparison.Ordinal) || decision.Decision.Length == "decisions/".Length)
        {
            return Verdict.Invalid("decision", "resource name \"decisions/{id}\" required");
        }

        if (string.IsNullOrWhiteSpace(a.Name) || Ids.Slug(a.Name).Length == 0 || a.Name.Length > 200)
        {
            return Verdict.Invalid(f + "name", "an operation needs a name of letters or digits (at most 200 characters)");
        }

        if (a.Kind == OperationKind.Unspecified || !Enum.IsDefined(a.Kind))
        {
            return Verdict.Invalid(f + "kind", "required");
        }

        if (!Dates.TryGet(a.StartDate, out var start))
        {
            return Verdict.Invalid(f + "start_date", "a valid date is required");
        }

        if (a.Permanent && a.EndDate is not null)
        {
            return Verdict.Invalid(f + "end_date", "a permanent operation has no end date");
        }

        DateOnly? end = null;
        if (!a.Permanent)
        {
            if (!Dates.TryGet(a.EndDate, out var e))
            {
                return Verdict.Invalid(f + "end_date", "required unless the operation is permanent");
            }

            if (e < start)
            {
                return Verdict.Invalid(f + "end_date", "before start_date");
            }

            end = e;
        }

        // Bodies requires the requesting state and the legal basis of a crisis response when the draft is tabled; here they
        // are copied as adopted (decisions adopted before these fields existed have neither, and still open their operation).
        var requestedBy = a.RequestedBy.Trim();
        if (requestedBy.Length > 0 && StateCodes.Problem(requestedBy, f + "requested_by") is { } badRequester)
        {
            return badRequester;
        }

        if (a.LegalBasis.Length > 500)
        {
            return Verdict.Invalid(f + "legal_basis", "at most 500 characters");
        }

        if (a.Kind == OperationKind.CrisisResponse && !string.Equals(decision.BodyId, CollectiveSecurityCouncil, StringComparison.Ordinal))
        {
            return Verdict.Rule("CSC_DECISION_REQUIRED", $"a deployment of the Collective Rapid Reaction Forces needs a decision of the Collective Security Council, not of '{decision.BodyId}'");
        }

        if (a.Kind == OperationKind.Peacekeeping && a.OutsideMemberTerritory && string.IsNullOrWhiteSpace(a.UnMandateReference))
        {
            return Verdict.Rule("UN_MANDATE_REQUIRED", "peacekeeping outside the members' territory needs a UN Security Council mandate reference");
        }

        if (existing is not null)
        {
            return Verdict.Rule("OPERATION_ALREADY_AUTHORIZED", $"{existing.Name} was authorized by {existing.Decision}; extend it instead");
        }

        var opened = new OperationOpened
        {
            Operation = Ids.OperationName(Ids.Slug(a.Name)),
            DisplayName = a.Name.Trim(),
            Kind = a.Kind,
            StartDate = start.ToProto(),
            EndDate = end.ToProto(),
            Permanent = a.Permanent,
            UnMandateReference = a.UnMandateReference.Trim(),
            OutsideMemberTerritory = a.OutsideMemberTerritory,
            RequestedBy = requestedBy,
            LegalBasis = a.LegalBasis.Trim(),
            Decision = decision.Decision,
            BodyId = decision.BodyId,
            EffectiveDate = decision.EffectiveDate,
        };
        opened.PlannedStageNames.AddRange(a.StageNames.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()));
        opened.BoundStates.AddRange(decision.BoundStates);
        return Verdict.Accept(opened);
    }

    public static Verdict Extend(OperationState? operation, DecisionAdopted decision)
    {
        var x = decision.Payload?.ExtendOperation ?? throw new ArgumentException("not an extension", nameof(decision));
        const string f = "payload.extend_operation.";
        if (operation is null)
        {
            return Verdict.Rule("OPERATION_NOT_FOUND", $"no operation named '{x.Name}' was authorized");
        }

        if (operation.Closed)
        {
            return Verdict.Rule("OPERATION_CLOSED", $"{operation.Name} closed on {operation.End?.ToIso()}");
        }

        if (x.Permanent && x.NewEndDate is not null)
        {
            return Verdict.Invalid(f + "new_end_date", "a permanent operation has no end date");
        }

        DateOnly? newEnd = null;
        if (!x.Permanent)
        {
            if (!Dates.TryGet(x.NewEndDate, out var e))
            {
                return Verdict.Invalid(f + "new_end_date", "required unless the operation is made permanent");
            }

            if (operation.Permanent || e <= operation.End)
            {
                return Verdict.Rule("EXTENSION_NOT_LATER", $"an extension must end after the current end ({(operation.Permanent ? "permanent" : operation.End?.ToIso())}); conclude the operation to end it earlier");
            }

            newEnd = e;
        }

        return Verdict.Accept(new OperationExtended
        {
            Operation = operation.Name,
            NewEndDate = newEnd.ToProto(),
            Permanent = x.Permanent,
            Decision = decision.Decision,
            EffectiveDate = decision.EffectiveDate,
        });
    }

    public static Verdict Conclude(OperationState? operation, DecisionAdopted decision)
    {
        var c = decision.Payload?.ConcludeOperation ?? throw new ArgumentException("not a conclusion", nameof(decision));
        if (operation is null)
        {
            return Verdict.Rule("OPERATION_NOT_FOUND", $"no operation named '{c.Name}' was authorized");
        }

        if (operation.Closed)
        {
            return Verdict.Rule("OPERATION_CLOSED", $"{operation.Name} closed on {operation.End?.ToIso()}");
        }

        if (!Dates.TryGet(c.EndDate ?? decision.EffectiveDate, out var end))
        {
            return Verdict.Invalid("payload.conclude_operation.end_date", "a valid date is required (or the decision's effective date)");
        }

        if (end < operation.Start)
        {
            return Verdict.Rule("CONCLUSION_BEFORE_START", $"{operation.Name} starts on {operation.Start.ToIso()}");
        }

        var late = operation.Reports.Values.Where(r => r.ReportDate > end).ToList();
        if (late.Count > 0)
        {
            return Verdict.Rule("REPORTS_AFTER_END_DATE", $"{late.Count} report(s) are dated after {end.ToIso()}, e.g. {late[0].Name}");
        }

        return Verdict.Accept([.. Closing(operation, end, CloseReason.Decision, decision.Decision, decision.EffectiveDate)]);
    }

    /// <summary>An operation whose last day is before <paramref name="today"/> closes by itself.</summary>
    public static Verdict CloseAtEndDate(OperationState operation, DateOnly today)
    {
        return operation.Closed || operation.End is not { } end || end >= today
            ? Verdict.Accept()
            : Verdict.Accept([.. Closing(operation, end, CloseReason.EndDateReached, "", null)]);
    }

    /// <summary>Closes the open stages, then the operation, each with its summary (what bodies attaches to the decision).</summary>
    static IEnumerable<IMessage> Closing(OperationState operation, DateOnly end, CloseReason reason, string decision, Date? decisionDate)
    {
        foreach (var stage in operation.Stages.Values.Where(s => !s.Closed).OrderBy(s => s.Start))
        {
            foreach (var e in StageRules.ClosingOf(operation, stage, stage.End < end ? stage.End : end))
            {
                yield return e;
            }
        }

        yield return new OperationClosed { Operation = operation.Name, EndDate = end.ToProto(), Reason = reason, Decision = decision, DecisionEffectiveDate = decisionDate };
        yield return new OperationSummaryPublished
        {
            Operation = operation.Name,
            DisplayName = operation.DisplayName,
            Decision = operation.Decision,
            Totals = TotalsCalculator.Compute(operation, end),
        };
    }
}
