using Csto.Bodies.V1;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Operations.V1;

namespace Csto.Security;

/// <summary>
/// The role tables, one per API. Every method has a row (Build fails otherwise), and a method
/// that is in no registered table is refused. Queries: every role. docs/security.md, "Roles", mirrors this file.
/// </summary>
public static class AccessTables
{
    const string State = "state";

    public static readonly AccessTable EventLog = AccessTable.For(EventLogService.Descriptor)
        .Read("StreamEvents", "ListEvents", "GetLogInfo")
        .Allow("Republish", Roles.Operator)
        .Allow("RebuildProjections", Roles.Operator)
        .Allow("ListErrors", Roles.Operator)
        .Allow("RedriveErrors", Roles.Operator)
        .Allow("PurgeErrors", Roles.Operator)
        .Build();

    public static readonly AccessTable Membership = AccessTable.For(MembershipService.Descriptor)
        .Read("GetMemberState", "ListMemberStates", "GetRoster")
        // treaty acts and statuses the Secretariat records (decisions of the CSC arrive over the broker instead)
        .Allow("RecordSignature", Roles.Secretariat)
        .Allow("RecordEntryIntoForce", Roles.Secretariat)
        .Allow("RecordAccession", Roles.Secretariat)
        .Allow("RecordTermEnd", Roles.Secretariat)
        .Allow("SuspendParticipation", Roles.Secretariat)
        .Allow("RestoreParticipation", Roles.Secretariat)
        .Allow("ExcludeMember", Roles.Secretariat)
        .Allow("GrantObserverStatus", Roles.Secretariat)
        .Allow("EndObserverStatus", Roles.Secretariat)
        .Allow("GrantPartnerStatus", Roles.Secretariat)
        .Allow("EndPartnerStatus", Roles.Secretariat)
        // a state's own notices: only its delegate
        .AllowForState("FreezeParticipation", State, Roles.Delegate)
        .AllowForState("UnfreezeParticipation", State, Roles.Delegate)
        .AllowForState("NotifyWithdrawal", State, Roles.Delegate)
        .Build();

    public static readonly AccessTable Bodies = AccessTable.For(BodiesService.Descriptor)
        .Read("GetBody", "ListBodies", "GetSession", "GetDraft", "ListDrafts", "GetDecision", "ListDecisions", "GetChair", "GetSecretaryGeneral",
            "ListChairs", "ListSecretariesGeneral", "ListSessions", "ListStatePositions", "ListExternalRelations")
        .Allow("ConveneSession", Roles.Secretariat)
        .Allow("AdmitBodyObserver", Roles.Secretariat)
        .Allow("EndBodyObserver", Roles.Secretariat)
        .Allow("RecordExternalRelation", Roles.Secretariat)
        .Allow("TableDraft", Roles.Secretariat)
        .Allow("CloseDraft", Roles.Secretariat)
        .AllowForState("RecordPosition", State, Roles.Delegate)
        .AllowForState("ChangePosition", State, Roles.Delegate)
        .AllowForState("JoinDecision", State, Roles.Delegate)
        .Build();

    public static readonly AccessTable Operations = AccessTable.For(OperationsService.Descriptor)
        .Read("GetOperation", "ListOperations", "GetOperationTotals")
        // running an operation (observers, stages) is the Secretariat's; participation and figures are each state's
        .Allow("AdmitObserver", Roles.Secretariat)
        .Allow("StartStage", Roles.Secretariat)
        .Allow("CloseStage", Roles.Secretariat)
        .AllowForState("JoinOperation", State, Roles.Reporter)
        .AllowForState("LeaveOperation", State, Roles.Reporter)
        .AllowForState("ReportOutcome", State, Roles.Reporter)
        .AllowForState("CorrectOutcome", State, Roles.Reporter)
        // a source's figures for the whole operation act for no one state: any reporter records them, and the
        // Secretariat (which publishes the organization's figures; also the role a client picks when no state is named)
        .Allow("RecordPublishedTotals", Roles.Secretariat, Roles.Reporter)
        .Build();

    public static readonly IReadOnlyList<AccessTable> All = [EventLog, Membership, Bodies, Operations];

    /// <summary>The rule of a method path in any table, or null.</summary>
    public static AccessRule? Find(string methodPath)
    {
        foreach (var table in All)
        {
            if (table.Rules.TryGetValue(methodPath, out var rule))
            {
                return rule;
            }
        }

        return null;
    }
}
