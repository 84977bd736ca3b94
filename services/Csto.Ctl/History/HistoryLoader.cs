using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.Ctl.Common;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Csto.Ctl.History;

public sealed record LoadSummary(int Steps, int Decisions, int Returned, int Writes);

/// <summary>
/// Records the history through the public gRPC APIs, the way a real client would: membership acts,
/// sessions with drafts, positions and closing, operations requests. Every write carries a request id
/// derived from the step, so loading twice changes nothing. After each step the loader waits until the
/// effects are visible where they act (rosters of bodies and operations, operations opened) and says
/// what it waits for when that takes long.
/// </summary>
public sealed partial class HistoryLoader(ServiceDirectory services, IHistoryProgress progress)
{
    static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    static readonly TimeSpan WaitLimit = TimeSpan.FromMinutes(2);
    int _writes;
    int _decisions;
    int _returned;
    long _membershipStatusSeen;

    MembershipService.MembershipServiceClient Membership => new(services.Channel("membership"));

    BodiesService.BodiesServiceClient Bodies => new(services.Channel("bodies"));

    /// <summary>The provenance every write of the current step carries.</summary>
    Provenance _provenance = new();

    public async Task<LoadSummary> LoadAsync(HistoryFile file, CancellationToken ct)
    {
        var fallback = ProvenanceOf(file.Provenance, null, "the file's provenance");
        for (var i = 0; i < file.Steps.Count; i++)
        {
            var step = file.Steps[i];
            progress.Step(i, file.Steps.Count, step.Describe());
            _provenance = ProvenanceOf(step.Provenance, fallback, $"step {i + 1} ({step.Describe()})");
            try
            {
                if (step.Membership is { } m)
                {
                    await MembershipAsync(step, m, ct);
                }
                else if (step.BodyObserver is { } b)
                {
                    await BodyObserverAsync(step, b, ct);
                }
                else if (step.Relation is { } r)
                {
                    _writes++;
                    await Bodies.RecordExternalRelationAsync(new RecordExternalRelationRequest
                    {
                        RelationId = r.Id, Counterpart = r.Counterpart, Kind = Enum.Parse<RelationKind>(ProtoEnum(r.Kind, "RELATION_KIND_"), ignoreCase: true),
                        EffectiveDate = ParseDate(step.Date), Summary = r.Summary, Place = r.Place, RequestId = RequestId("relation", r.Id), Provenance = _provenance,
                    }, cancellationToken: ct);
                }
                else if (step.Session is { } s)
                {
                    await SessionAsync(step, s, ct);
                }
                else if (step.Operation is { } o)
                {
                    await OperationAsync(step, o, ct);
                }
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable)
            {
                throw new CtlException(ExitCodes.Unavailable, $"step {i + 1} ({step.Describe()}): a service does not answer: {ex.Status.Detail}");
            }
            catch (RpcException ex)
            {
                throw new CtlException(ExitCodes.Failed, $"step {i + 1} ({step.Describe()}) was refused: {ex.StatusCode}: {ex.Status.Detail}");
            }
        }

        progress.Step(file.Steps.Count, file.Steps.Count, "done");
        return new LoadSummary(file.Steps.Count, _decisions, _returned, _writes);
    }

    static string RequestId(params string[] parts) => "history:" + string.Join(':', parts);

    /// <summary>A provenance from the file (JSON mapping), checked like the services check it; the fallback when absent.</summary>
    static Provenance ProvenanceOf(JsonElement json, Provenance? fallback, string where)
    {
        if (json.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return fallback ?? new Provenance();
        }

        var provenance = Parser.Parse<Provenance>(json.GetRawText());
        return Provenances.Problem(provenance) is { } problem
            ? throw new CtlException(ExitCodes.Usage, $"{where}: {problem.Code}: {problem.Description}")
            : provenance;
    }

    /// <summary>Positions the file gives as "support": "all": the source gives the outcome, the loader chose each state's position.</summary>
    Provenance ChosenPositions() => new()
    {
        Source = _provenance.Source,
        Basis = Basis.Chosen,
        Reason = "the source gives the outcome, not each state's position: every member with a voice that the file does not list otherwise is recorded as supporting",
    };

    async Task BodyObserverAsync(HistoryStep step, BodyObserverStep b, CancellationToken ct)
    {
        _writes++;
        await Bodies.AdmitBodyObserverAsync(new AdmitBodyObserverRequest
        {
            Body = b.Body.StartsWith("bodies/", StringComparison.Ordinal) ? b.Body : "bodies/" + b.Body,
            Observer = b.Observer,
            Kind = Enum.Parse<Csto.Operations.V1.ObserverKind>(ProtoEnum(b.Kind, "OBSERVER_KIND_"), ignoreCase: true),
            AdmittedOn = ParseDate(step.Date),
            DisplayName = b.DisplayName,
            RequestId = RequestId("body-observer", b.Body, b.Observer),
            Provenance = _provenance,
        }, cancellationToken: ct);
    }

    static Date ParseDate(string text) => DateArg.Parse(text, "date");

    async Task MembershipAsync(HistoryStep step, MembershipStep m, CancellationToken ct)
    {
        var date = ParseDate(step.Date);
        var cause = m.Cause.ValueKind == JsonValueKind.Undefined ? new Cause() : Parser.Parse<Cause>(m.Cause.GetRawText());
        foreach (var state in m.States)
        {
            var id = RequestId(step.Date, m.Act, state);
            _writes++;
            var client = Membership;
            _ = m.Act switch
            {
                "signature" => (object)await client.RecordSignatureAsync(new() { State = state, EffectiveDate = date, Cause = cause, RequestId = id, Provenance = _provenance }, cancellationToken: ct),
                "accession" => await client.RecordAccessionAsync(new() { State = state, EffectiveDate = date, Cause = cause, RequestId = id, Provenance = _provenance }, cancellationToken: ct),
                "entry_into_force" => await client.RecordEntryIntoForceAsync(new() { State = state, EffectiveDate = date, Cause = cause, RequestId = id, Provenance = _provenance }, cancellationToken: ct),
                "term_end" => await client.RecordTermEndAsync(new() { State = state, EffectiveDate = date, Cause = cause, RequestId = id, Provenance = _provenance }, cancellationToken: ct),
                "freeze" => await client.FreezeParticipationAsync(new() { State = state, EffectiveDate = date, Cause = cause, RequestId = id, Provenance = _provenance }, cancellationToken: ct),
                "unfreeze" => await client.UnfreezeParticipationAsync(new() { State = state, EffectiveDate = date, Cause = cause, RequestId = id, Provenance = _provenance }, cancellationToken: ct),
                "withdrawal_notice" => await client.NotifyWithdrawalAsync(new() { State = state, EffectiveDate = date, Cause = cause, RequestId = id, Provenance = _provenance, TakesEffectOn = ParseDate(m.TakesEffectOn ?? throw new CtlException(ExitCodes.Usage, $"{step.Date}: withdrawal_notice needs takes_effect_on")) }, cancellationToken: ct),
                "observer" => await client.GrantObserverStatusAsync(new() { State = state, EffectiveDate = date, Cause = cause, RequestId = id, Provenance = _provenance }, cancellationToken: ct),
                "partner" => await client.GrantPartnerStatusAsync(new() { State = state, EffectiveDate = date, Cause = cause, RequestId = id, Provenance = _provenance }, cancellationToken: ct),
                _ => throw new CtlException(ExitCodes.Usage, $"{step.Date}: unknown membership act '{m.Act}'"),
            };
        }

        await WaitForRostersAsync(ct);
    }

    async Task SessionAsync(HistoryStep step, SessionStep s, CancellationToken ct)
    {
        var date = ParseDate(step.Date);
        var bodies = Bodies;
        _writes++;
        var session = (await bodies.ConveneSessionAsync(new ConveneSessionRequest
        {
            Body = s.Body.StartsWith("bodies/", StringComparison.Ordinal) ? s.Body : "bodies/" + s.Body,
            SessionId = s.Id,
            Date = date,
            Place = s.Place,
            HostState = s.Host,
            Regular = s.Regular,
            Format = Enum.Parse<SessionFormat>(ProtoEnum(s.Format, "SESSION_FORMAT_"), ignoreCase: true),
            Agenda = { s.Drafts.Select(d => d.Title) },
            RequestId = RequestId("session", s.Id),
            ChairHandedTo = s.ChairHandedTo,
            Provenance = _provenance,
        }, cancellationToken: ct)).Session;

        foreach (var d in s.Drafts)
        {
            // per draft: a decision earlier in the session (a suspension) changes who has a voice
            var roster = (await Membership.GetRosterAsync(new GetRosterRequest { AsOf = date }, cancellationToken: ct)).Entries;
            var payload = Parser.Parse<DecisionPayload>(d.Payload.GetRawText());
            var provenance = ProvenanceOf(d.Provenance, _provenance, $"draft {d.Id}");
            var table = new TableDraftRequest { Session = session.Name, DraftId = d.Id, Title = d.Title, Payload = payload, Procedural = d.Procedural, RequestId = RequestId("draft", d.Id), Provenance = provenance };
            if (d.EffectiveDate is { } eff)
            {
                table.EffectiveDate = ParseDate(eff);
            }

            _writes++;
            var draft = (await bodies.TableDraftAsync(table, cancellationToken: ct)).Draft;
            // a draft closed by an earlier load keeps the positions it had: only an open draft takes them
            // supporters expanded from "all" were chosen; the positions the file lists are the step's
            var chosen = d.Positions.Support.ValueKind == JsonValueKind.String ? ChosenPositions() : provenance;
            foreach (var (state, position) in draft.Status == DraftStatus.Open ? Positions(d, payload, roster) : [])
            {
                if (draft.Positions.Any(p => p.State == state))
                {
                    continue; // recorded by an earlier load
                }

                _writes++;
                draft = (await bodies.RecordPositionAsync(new RecordPositionRequest { Draft = draft.Name, State = state, Position = position, RequestId = RequestId("position", d.Id, state), Provenance = position == Position.Support ? chosen : provenance }, cancellationToken: ct)).Draft;
            }

            _writes++;
            var closed = await bodies.CloseDraftAsync(new CloseDraftRequest { Draft = draft.Name, Action = CloseAction.Decide, RequestId = RequestId("close", d.Id), Provenance = provenance }, cancellationToken: ct);
            if (closed.Decision is { } decision && closed.Draft.Status == DraftStatus.Adopted)
            {
                _decisions++;
                await WaitForEffectsAsync(decision, ct);
            }
            else
            {
                _returned++;
            }
        }
    }

    /// <summary>The positions of a draft: the listed ones, and "all" expanded to every state with a voice on the date that is not listed and not concerned.</summary>
    static IEnumerable<(string State, Position Position)> Positions(DraftStep d, DecisionPayload payload, IEnumerable<MemberStatusAsOf> roster)
    {
        var concerned = payload.KindCase switch
        {
            DecisionPayload.KindOneofCase.SuspendMember => payload.SuspendMember.State,
            DecisionPayload.KindOneofCase.RestoreMember => payload.RestoreMember.State,
            DecisionPayload.KindOneofCase.ExcludeMember => payload.ExcludeMember.State,
            _ => null,
        };
        var listed = new Dictionary<string, Position>(StringComparer.Ordinal);
        foreach (var s in d.Positions.Object)
        {
            listed[s] = Position.Object;
        }

        foreach (var s in d.Positions.NotParticipating)
        {
            listed[s] = Position.NotParticipating;
        }

        foreach (var s in d.Positions.Absent)
        {
            listed[s] = Position.Absent;
        }

        var support = d.Positions.Support;
        IEnumerable<string> supporters = support.ValueKind switch
        {
            JsonValueKind.String when support.GetString() == "all" => roster.Where(e => e.HasVoice && e.State != concerned && !listed.ContainsKey(e.State)).Select(e => e.State),
            JsonValueKind.Array => support.EnumerateArray().Select(e => e.GetString()!),
            JsonValueKind.Undefined or JsonValueKind.Null => [],
            _ => throw new CtlException(ExitCodes.Usage, $"draft {d.Id}: positions.support is \"all\" or a list of states"),
        };
        return supporters.Order(StringComparer.Ordinal).Select(s => (s, Position.Support))
            .Concat(listed.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)));
    }

    static string ProtoEnum(string value, string prefix) =>
        (value.StartsWith(prefix, StringComparison.Ordinal) ? value[prefix.Length..] : value).Replace("_", "", StringComparison.Ordinal);

    /// <summary>Waits until the effects of an adopted decision are visible where they act.</summary>
    async Task WaitForEffectsAsync(Decision decision, CancellationToken ct)
    {
        var payload = decision.Payload;
        var state = payload.KindCase switch
        {
            DecisionPayload.KindOneofCase.AdmitMember => payload.AdmitMember.State,
            DecisionPayload.KindOneofCase.SuspendMember => payload.SuspendMember.State,
            DecisionPayload.KindOneofCase.RestoreMember => payload.RestoreMember.State,
            DecisionPayload.KindOneofCase.ExcludeMember => payload.ExcludeMember.State,
            _ => null,
        };
        if (state is not null)
        {
            await UntilAsync($"membership to apply {decision.Name} to {state}", async () =>
            {
                var member = await Membership.GetMemberStateAsync(new GetMemberStateRequest { State = state }, cancellationToken: ct);
                return member.MemberState.ReceivedDecisions.Contains(decision.Name);
            }, ct);
            await WaitForRostersAsync(ct);
        }

        if (payload.KindCase == DecisionPayload.KindOneofCase.AuthorizeOperation)
        {
            await WaitForOperationAsync(decision, ct);
        }
    }

    /// <summary>Waits until bodies and operations have consumed every MemberStatusChanged the membership log holds.</summary>
    async Task WaitForRostersAsync(CancellationToken ct)
    {
        var log = new EventLogService.EventLogServiceClient(services.Channel("membership"));
        var page = await log.ListEventsAsync(new ListEventsRequest { FromPosition = _membershipStatusSeen + 1, PageSize = 1000, Filter = new EventFilter { EventTypes = { MemberStatusChanged.Descriptor.FullName } } }, cancellationToken: ct);
        while (true)
        {
            if (page.Records.Count > 0)
            {
                _membershipStatusSeen = page.Records[^1].Position;
            }

            if (page.NextPageToken.Length == 0)
            {
                break;
            }

            page = await log.ListEventsAsync(new ListEventsRequest { FromPosition = _membershipStatusSeen + 1, PageSize = 1000, PageToken = page.NextPageToken, Filter = new EventFilter { EventTypes = { MemberStatusChanged.Descriptor.FullName } } }, cancellationToken: ct);
        }

        var target = _membershipStatusSeen;
        foreach (var consumer in RosterConsumers)
        {
            await UntilAsync($"the {consumer} roster to reach membership position {target}", async () =>
            {
                var info = await new EventLogService.EventLogServiceClient(services.Channel(consumer)).GetLogInfoAsync(new GetLogInfoRequest(), cancellationToken: ct);
                return info.Consumers.Any(c => c.SourcePositions.TryGetValue("membership", out var p) && p >= target);
            }, ct);
        }
    }

    async Task UntilAsync(string what, Func<Task<bool>> condition, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var said = TimeSpan.Zero;
        while (!await condition())
        {
            if (watch.Elapsed > WaitLimit)
            {
                throw new CtlException(ExitCodes.Failed, $"gave up after {WaitLimit.TotalSeconds:0} s waiting for {what}");
            }

            if (watch.Elapsed - said > TimeSpan.FromSeconds(3))
            {
                said = watch.Elapsed;
                progress.Waiting(what, watch.Elapsed);
            }

            await Task.Delay(100, ct);
        }
    }
}
