using System.Text;
using Csto.Bodies.V1;
using Csto.Common.V1;
using Csto.EventLog.V1;
using Csto.Membership.V1;
using Csto.Operations.V1;
using Csto.Security;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using RabbitMQ.Client;

// csto-faults: what deploy/faults.sh drives the running suite with, and how it counts.
//   burst    --prefix P --count N --offset K [--acked FILE]   membership writes (observer status on and off), each with a request id
//   check    --scenario NAME [--acked FILE] [--expect-errors N] [--timeout S]   exact counts; prints "NAME: lost N, applied twice N, recovered yes|no"
//   poison   --amqp URL        four messages no consumer can apply (empty body, garbage, unknown type, no headers)
//   forge    --amqp URL        a valid MemberStatusChanged that claims to come from membership, published by another user
//   copy     --amqp URL        a raw copy of the last MemberStatusChanged of the membership log (a duplicate delivery)
//   reversed --scenario NAME   bodies adopts an extension, then the authorization it extends; operations must end on the extension's date
//   purge                      deletes the error queues (after a poison or forged scenario)
//   head     --service S       the head position of a service's log
//   lease    --service S [--wait SECONDS]   which of the service's instances (1-based, in CSTO_S_URL order) holds the relay lease
//   abuse    --data DIR --membership-amqp URL --operations-amqp URL --management URL
//                              the probes of an attacker on the host against the running suite (deploy/faults.sh abuse):
//                              tokens signed with the repository's development key, events claiming a source that does not
//                              own their type, published by another service's broker user, guest/guest on the broker's AMQP
//                              and management API, a service's broker user on the management API; prints "abuse: refused
//                              N of N, heads unchanged, rss +N MB"
//   connections --pool N --instances N --stop FILE   samples pg_stat_activity until FILE exists; prints the peaks and fails
//                              when an instance held more than its pool, or the instances together more than their budget
// With CSTO_FAULTS_POSTGRES (a connection string; deploy/faults.sh --cluster sets it), check reads the logs and the relays'
// checkpoints from PostgreSQL through one connection of its own (Application Name csto-faults, in the budget's tools), so
// that counting never depends on the instances it checks having a connection to spare.
var arguments = Args.Parse(args);
var suite = new Suite();
return arguments.Command switch
{
    "burst" => await suite.BurstAsync(arguments.Get("prefix"), arguments.Int("count"), arguments.Int("offset"), arguments.Get("acked", "")),
    "check" => await suite.CheckAsync(arguments.Get("scenario"), arguments.Get("acked", ""), arguments.Int("expect-errors", 0), arguments.Int("timeout", 120)),
    "poison" => await Raw.PoisonAsync(arguments.Get("amqp")),
    "forge" => await Raw.ForgeAsync(arguments.Get("amqp")),
    "copy" => await Raw.CopyAsync(arguments.Get("amqp"), await suite.LastStatusChangeAsync()),
    "reversed" => await suite.ReversedDecisionsAsync(arguments.Get("scenario")),
    "purge" => await suite.PurgeAsync(),
    "head" => await suite.HeadAsync(arguments.Get("service")),
    "lease" => await suite.LeaseAsync(arguments.Get("service"), arguments.Int("wait", 0)),
    "abuse" => await suite.AbuseAsync(arguments.Get("data"), arguments.Get("membership-amqp"), arguments.Get("operations-amqp"), arguments.Get("management")),
    "connections" => await Connections.SampleAsync(arguments.Int("pool"), arguments.Int("instances"), arguments.Get("stop")),
    _ => Args.Usage(),
};

sealed record Args(string Command, Dictionary<string, string> Options)
{
    public static Args Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        return new(args.Length > 0 ? args[0] : "", options);
    }

    public string Get(string name, string? fallback = null) =>
        Options.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"--{name} is required");

    public int Int(string name, int? fallback = null) => int.Parse(Get(name, fallback?.ToString()), System.Globalization.CultureInfo.InvariantCulture);

    public static int Usage()
    {
        Console.Error.WriteLine("usage: csto-faults burst|check|poison|forge|copy|reversed|purge [--option value ...] (see Program.cs)");
        return 2;
    }
}

sealed class Suite
{
    static readonly string[] Members = ["ARM", "AZE", "BLR", "GEO", "KAZ", "KGZ", "RUS", "TJK", "UZB"];

    /// <summary>200 states that are never parties: the entities of the bursts.</summary>
    static readonly string[] Entities = [.. Csto.Kernel.StateCodes.Codes.Order(StringComparer.Ordinal).Where(c => !Members.Contains(c)).Take(200)];

    readonly Dictionary<string, GrpcChannel> _channels = [];
    readonly Database? _database = Environment.GetEnvironmentVariable("CSTO_FAULTS_POSTGRES") is { Length: > 0 } cs ? new Database(cs) : null;
    readonly Interceptor _minting = ActAsRequiredInterceptor.Minting(
        new SigningSettings(SigningSettings.FindKey() ?? SigningSettings.DevelopmentKey), "csto-faults");

    CallInvoker Channel(string service)
    {
        if (!_channels.TryGetValue(service, out var channel))
        {
            var url = Environment.GetEnvironmentVariable($"CSTO_{service.ToUpperInvariant()}_URL")
                      ?? service switch { "membership" => "http://127.0.0.1:5101", "bodies" => "http://127.0.0.1:5102", _ => "http://127.0.0.1:5103" };
            _channels[service] = channel = Csto.Kernel.Channels.For(url, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        }

        return channel.Intercept(_minting);
    }

    /// <summary>The service's channel with one operator token (the log's operator methods).</summary>
    CallInvoker Operator(string service)
    {
        _ = Channel(service); // opens the channel once
        var signing = new SigningSettings(SigningSettings.FindKey() ?? SigningSettings.DevelopmentKey);
        return _channels[service].WithToken(TokenIssuer.Issue(signing, "csto-faults", Roles.Operator, null, TimeSpan.FromHours(1)));
    }

    /// <summary>Write i (global index): state = entity i mod 200, round i / 200 grants (even) or ends (odd) observer status, one day later each round.</summary>
    public async Task<int> BurstAsync(string prefix, int count, int offset, string ackedFile)
    {
        var client = new MembershipService.MembershipServiceClient(Channel("membership"));
        var acked = 0;
        var failed = 0;
        using var gate = new SemaphoreSlim(16);
        var lines = new List<string>();
        var tasks = Enumerable.Range(offset, count).Select(async i =>
        {
            // the writes of one entity go in order: a round waits for the previous one of its state
            await gate.WaitAsync();
            try
            {
                var state = Entities[i % Entities.Length];
                var round = i / Entities.Length;
                var date = Date.From(new DateOnly(2031, 1, 1).AddDays(round));
                var requestId = $"{prefix}-{i}";
                var cause = new Cause { Notice = "fault suite " + prefix };
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        if (round % 2 == 0)
                        {
                            await client.GrantObserverStatusAsync(new GrantObserverStatusRequest { State = state, EffectiveDate = date, Cause = cause, RequestId = requestId }, deadline: DateTime.UtcNow.AddSeconds(30));
                        }
                        else
                        {
                            await client.EndObserverStatusAsync(new EndObserverStatusRequest { State = state, EffectiveDate = date, Cause = cause, RequestId = requestId }, deadline: DateTime.UtcNow.AddSeconds(30));
                        }

                        lock (lines)
                        {
                            acked++;
                            lines.Add(requestId);
                        }

                        return;
                    }
                    catch (RpcException ex) when (ex.StatusCode is StatusCode.FailedPrecondition && attempt < 50)
                    {
                        await Task.Delay(100); // the previous round of this state is not recorded yet
                    }
                    catch (RpcException)
                    {
                        Interlocked.Increment(ref failed);
                        return;
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks);
        if (ackedFile.Length > 0)
        {
            await File.AppendAllLinesAsync(ackedFile, lines);
        }

        Console.WriteLine($"burst {prefix}: acknowledged {acked} of {count}, failed {failed}");
        return 0;
    }

    public async Task<int> CheckAsync(string scenario, string ackedFile, int expectErrors, int timeoutSeconds)
    {
        var acked = ackedFile.Length > 0 && File.Exists(ackedFile) ? (await File.ReadAllLinesAsync(ackedFile)).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal) : [];
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        Counts? counts = null;
        while (true)
        {
            try
            {
                counts = await CountAsync(acked);
            }
            catch (Exception ex) when (ex is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded } or Npgsql.NpgsqlException && DateTime.UtcNow < deadline)
            {
                // the suite is recovering (a node or the database coming back on a loaded machine): count again later
                Console.WriteLine($"  (counting again: {(ex is RpcException rpc ? rpc.Status.Detail : ex.Message)})");
                await Task.Delay(2000);
                continue;
            }

            if ((counts.Lost == 0 && counts.Twice == 0 && counts.RelaysAtHead && counts.ErrorsPerConsumer.Values.All(d => d == expectErrors)) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(1000);
        }

        if (counts is null)
        {
            Console.WriteLine($"{scenario}: lost ?, applied twice ?, recovered no (the suite did not answer within {timeoutSeconds} s)");
            return 1;
        }

        var recovered = counts.Lost == 0 && counts.Twice == 0 && counts.RelaysAtHead && counts.ErrorsPerConsumer.Values.All(d => d == expectErrors);
        Console.WriteLine($"  acknowledged writes {acked.Count}, missing from the membership log {counts.MissingAcked}; status changes in membership {counts.Produced}; " +
                          string.Join("; ", counts.Consumed.Select(c => $"{c.Key} {c.Value.Total} ({c.Value.Total - c.Value.Distinct} twice, {c.Value.Missing} missing)")));
        Console.WriteLine($"  relays: {string.Join(", ", counts.Relays)}; error queues: {string.Join(", ", counts.ErrorsPerConsumer.Select(e => $"{e.Key} {e.Value}"))} (expected {expectErrors})");
        Console.WriteLine($"{scenario}: lost {counts.Lost}, applied twice {counts.Twice}, recovered {(recovered ? "yes" : "no")}");
        return recovered ? 0 : 1;
    }

    sealed record Counts(int MissingAcked, int Produced, Dictionary<string, (int Total, int Distinct, int Missing)> Consumed, IReadOnlyList<string> Relays, bool RelaysAtHead, Dictionary<string, long> ErrorsPerConsumer)
    {
        public int Lost => MissingAcked + Consumed.Values.Sum(c => c.Missing);

        public int Twice => Consumed.Values.Sum(c => c.Total - c.Distinct);
    }

    async Task<Counts> CountAsync(HashSet<string> acked)
    {
        var membership = await ReadAllAsync("membership", "member-");
        var causes = membership.Select(r => r.Metadata?.CausationId ?? "").ToHashSet(StringComparer.Ordinal);
        var missingAcked = acked.Count(id => !causes.Contains("request:" + id));
        // what each consumer must hold: every status change of a state (organizations are not on rosters)
        var changes = membership.Where(r => r.Type == MemberStatusChanged.Descriptor.FullName)
            .Select(r => MemberStatusChanged.Parser.ParseFrom(r.Data))
            .Where(c => Csto.Kernel.StateCodes.IsValid(c.State))
            .Select(c => (c.State, c.StreamVersion)).ToHashSet();
        var consumed = new Dictionary<string, (int, int, int)>(StringComparer.Ordinal);
        foreach (var service in new[] { "bodies", "operations" })
        {
            var roster = (await ReadAllAsync(service, "roster-"))
                .Select(r => Csto.Roster.V1.RosterStatusRecorded.Parser.ParseFrom(r.Data)).Select(r => (r.State, r.SourceStreamVersion)).ToList();
            var distinct = roster.ToHashSet();
            consumed[service] = (roster.Count, distinct.Count, changes.Count(c => !distinct.Contains(c)));
        }

        var relays = new List<string>();
        var atHead = true;
        var errors = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var service in new[] { "membership", "bodies", "operations" })
        {
            var (checkpoint, head) = _database is { } db ? await db.RelayAsync(service) : (-1, -1);
            if (service != "membership" || _database is null)
            {
                // the error queues are the broker's: the service tells their depth
                var info = await new EventLogService.EventLogServiceClient(Operator(service)).GetLogInfoAsync(new GetLogInfoRequest());
                if (_database is null)
                {
                    (checkpoint, head) = (info.Relay.Checkpoint, info.HeadPosition);
                }

                if (service != "membership")
                {
                    errors[service] = info.ErrorQueue?.Depth ?? -1;
                }
            }

            relays.Add($"{service} {checkpoint}/{head}");
            atHead &= checkpoint == head;
        }

        return new Counts(missingAcked, changes.Count, consumed, relays, atHead, errors);
    }

    async Task<List<EventRecord>> ReadAllAsync(string service, string prefix)
    {
        if (_database is { } db)
        {
            return await db.ReadAllAsync(service, prefix);
        }

        var client = new EventLogService.EventLogServiceClient(Operator(service));
        var records = new List<EventRecord>();
        var token = "";
        do
        {
            var page = await client.ListEventsAsync(new ListEventsRequest { FromPosition = 1, Filter = new EventFilter { StreamIdPrefix = prefix }, PageSize = 1000, PageToken = token });
            records.AddRange(page.Records);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return records;
    }

    public async Task<EventRecord> LastStatusChangeAsync() =>
        (await ReadAllAsync("membership", "member-")).Last(r => r.Type == MemberStatusChanged.Descriptor.FullName);

    public async Task<int> HeadAsync(string service)
    {
        Console.WriteLine((await new EventLogService.EventLogServiceClient(Operator(service)).GetLogInfoAsync(new GetLogInfoRequest())).HeadPosition);
        return 0;
    }

    /// <summary>Asks each instance of the service on its own (not through the round robin) whether it holds the relay lease.</summary>
    public async Task<int> LeaseAsync(string service, int waitSeconds)
    {
        var urls = (Environment.GetEnvironmentVariable($"CSTO_{service.ToUpperInvariant()}_URL") ?? throw new InvalidOperationException($"CSTO_{service.ToUpperInvariant()}_URL is not set"))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var signing = new SigningSettings(SigningSettings.FindKey() ?? SigningSettings.DevelopmentKey);
        var token = TokenIssuer.Issue(signing, "csto-faults", Roles.Operator, null, TimeSpan.FromHours(1));
        var until = DateTime.UtcNow.AddSeconds(waitSeconds);
        while (true)
        {
            for (var i = 0; i < urls.Length; i++)
            {
                try
                {
                    using var channel = GrpcChannel.ForAddress(urls[i]);
                    var info = await new EventLogService.EventLogServiceClient(channel.WithToken(token)).GetLogInfoAsync(new GetLogInfoRequest(), deadline: DateTime.UtcNow.AddSeconds(3));
                    if (info.Relay.HoldsLease)
                    {
                        Console.WriteLine(i + 1);
                        return 0;
                    }
                }
                catch (RpcException)
                {
                    // a dead instance holds nothing
                }
            }

            if (DateTime.UtcNow >= until)
            {
                Console.WriteLine("none");
                return 1;
            }

            await Task.Delay(200);
        }
    }

    /// <summary>
    /// What an attacker on the host tries with what the repository holds: the development key (an operator reading the
    /// error queues of every service, a Secretariat write), and each service's broker user publishing an event of another
    /// service's type into a consumer's own exchange (item 8 of issue 28), the broker's well-known guest/guest on AMQP and on
    /// the management API, and a service's own broker user on the management API (the administrator's alone). Every probe must
    /// be refused or parked, and no log may move.
    /// </summary>
    public async Task<int> AbuseAsync(string dataDir, string membershipAmqp, string operationsAmqp, string management)
    {
        var services = new[] { "membership", "bodies", "operations" };
        async Task<Dictionary<string, long>> HeadsAsync()
        {
            var heads = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var service in services)
            {
                heads[service] = (await new EventLogService.EventLogServiceClient(Operator(service)).GetLogInfoAsync(new GetLogInfoRequest())).HeadPosition;
            }

            return heads;
        }

        long Rss(string[] of) => of.Sum(service =>
        {
            var pidFile = Path.Combine(dataDir, "run", service + ".pid");
            var status = File.Exists(pidFile) ? $"/proc/{File.ReadAllText(pidFile).Trim()}/status" : "";
            var line = status.Length > 0 && File.Exists(status) ? File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)) : null;
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        });

        var before = await HeadsAsync();
        var rssBefore = Rss(services);
        var errorsBefore = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var service in new[] { "bodies", "operations" })
        {
            errorsBefore[service] = (await new EventLogService.EventLogServiceClient(Operator(service)).GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue?.Depth ?? 0;
        }

        var probes = 0;
        var refused = 0;
        void Note(string probe, bool wasRefused)
        {
            probes++;
            refused += wasRefused ? 1 : 0;
            Console.WriteLine($"  {(wasRefused ? "refused" : "ACCEPTED")}: {probe}");
        }

        var development = new SigningSettings(SigningSettings.DevelopmentKey);
        foreach (var service in services)
        {
            var channel = _channels[service];
            var asOperator = channel.WithToken(TokenIssuer.Issue(development, "intruder", Roles.Operator, null, TimeSpan.FromHours(1)));
            try
            {
                await new EventLogService.EventLogServiceClient(asOperator).ListErrorsAsync(new ListErrorsRequest());
                Note($"{service}: ListErrors as an operator with the development key", false);
            }
            catch (RpcException ex)
            {
                Note($"{service}: ListErrors as an operator with the development key ({ex.StatusCode})", ex.StatusCode == StatusCode.Unauthenticated);
            }
        }

        var asSecretariat = _channels["membership"].WithToken(TokenIssuer.Issue(development, "intruder", Roles.Secretariat, null, TimeSpan.FromHours(1)));
        try
        {
            await new MembershipService.MembershipServiceClient(asSecretariat).GrantObserverStatusAsync(new GrantObserverStatusRequest
            {
                State = "ZWE", EffectiveDate = Date.From(new(2040, 1, 1)), Cause = new Cause { Notice = "abuse" }, RequestId = "abuse-" + Guid.NewGuid().ToString("N"),
            });
            Note("membership: a Secretariat write with the development key", false);
        }
        catch (RpcException ex)
        {
            Note($"membership: a Secretariat write with the development key ({ex.StatusCode})", ex.StatusCode == StatusCode.Unauthenticated);
        }

        // each service's own broker user speaks for another: operations claims MemberStatusChanged into bodies' exchange,
        // membership claims DecisionAdopted into operations' exchange
        await Raw.PublishClaimAsync(operationsAmqp, "csto.bodies", MemberStatusChanged.Descriptor.FullName, "operations", "member-ZWE",
            new MemberStatusChanged { State = "ZWE", NewStatus = MemberStatus.Member, StreamVersion = 1, EffectiveDate = Date.From(new(2040, 1, 1)) }.ToByteArray());
        var slug = "abuse-" + Guid.NewGuid().ToString("N")[..6];
        await Raw.PublishClaimAsync(membershipAmqp, "csto.operations", DecisionAdopted.Descriptor.FullName, "membership", "decision-" + slug,
            new DecisionAdopted
            {
                Decision = "decisions/" + slug, BodyId = "csc", SessionDate = Date.From(new(2040, 1, 1)), EffectiveDate = Date.From(new(2040, 1, 1)), Title = slug,
                Payload = new DecisionPayload { AuthorizeOperation = new AuthorizeOperation { Name = slug, Kind = OperationKind.AntiDrug, StartDate = Date.From(new(2040, 2, 1)), EndDate = Date.From(new(2040, 12, 31)) } },
            }.ToByteArray());
        foreach (var (service, probe) in new[] { ("bodies", "csto-operations publishes a MemberStatusChanged (ZWE a member) into csto.bodies"), ("operations", "csto-membership publishes a DecisionAdopted authorizing an operation into csto.operations") })
        {
            var client = new EventLogService.EventLogServiceClient(Operator(service));
            var parked = false;
            for (var i = 0; i < 60 && !parked; i++)
            {
                parked = (await client.GetLogInfoAsync(new GetLogInfoRequest())).ErrorQueue?.Depth > errorsBefore[service];
                if (!parked)
                {
                    await Task.Delay(500);
                }
            }

            var reason = parked ? (await client.ListErrorsAsync(new ListErrorsRequest())).Messages.LastOrDefault()?.Reason ?? "" : "";
            Note($"{probe}: {(parked ? "parked " + reason : "not parked")}", parked && reason == "ORIGIN_NOT_TRUSTED");
        }

        // the broker: guest/guest (RabbitMQ's well-known default) on AMQP and on the management API, and a service's own user
        // on the management API
        var guestAmqp = new UriBuilder(membershipAmqp) { UserName = "guest", Password = "guest", Path = "/" }.Uri;
        try
        {
            await using var connection = await new ConnectionFactory { Uri = guestAmqp, AutomaticRecoveryEnabled = false }.CreateConnectionAsync();
            Note("broker: guest/guest on AMQP", false);
        }
        catch (RabbitMQ.Client.Exceptions.BrokerUnreachableException ex)
        {
            var auth = false;
            for (Exception? e = ex; e is not null; e = e.InnerException)
            {
                auth |= e is RabbitMQ.Client.Exceptions.AuthenticationFailureException;
            }

            // refused for its credentials, not because the port was closed
            Note($"broker: guest/guest on AMQP ({(auth ? "authentication failure" : ex.InnerException?.Message ?? ex.Message)})", auth);
        }

        var membershipUser = new Uri(membershipAmqp).UserInfo.Split(':', 2);
        foreach (var (user, password) in new[] { ("guest", "guest"), (Uri.UnescapeDataString(membershipUser[0]), Uri.UnescapeDataString(membershipUser.Length > 1 ? membershipUser[1] : "")) })
        {
            using var http = new HttpClient { BaseAddress = new Uri(management), Timeout = TimeSpan.FromSeconds(15) };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
            try
            {
                using var response = await http.GetAsync(new Uri("api/whoami", UriKind.Relative));
                Note($"broker: {user} on the management API ({(int)response.StatusCode})", response.StatusCode == System.Net.HttpStatusCode.Unauthorized);
            }
            catch (HttpRequestException ex)
            {
                Note($"broker: {user} on the management API (no answer: {ex.Message})", false); // the probe did not run: not counted as refused
            }
        }

        await HostileCallerProbesAsync(Note);
        var (stalledWhileOpen, stalledAfter) = await StalledStreamsAsync(Note, () => Rss(["bodies"]));

        var after = await HeadsAsync();
        var unchanged = services.All(s => before[s] == after[s]);
        Console.WriteLine($"  heads before {string.Join(", ", before.Select(h => $"{h.Key} {h.Value}"))}; after {string.Join(", ", after.Select(h => $"{h.Key} {h.Value}"))}");
        Console.WriteLine($"  200 stalled streams with 200 subjects: bodies rss {stalledWhileOpen:+0;-0} MB while open, {stalledAfter:+0;-0} MB after they ended (targets < 50 and < 20)");
        Console.WriteLine($"abuse: refused {refused} of {probes}, heads {(unchanged ? "unchanged" : "CHANGED")}, rss {Rss(services) - rssBefore:+0;-0} MB");
        return refused == probes && unchanged ? 0 : 1;
    }

    /// <summary>
    /// Malformed input (bytes that are not a message, an unknown enum number, an edited page token), guessed tokens from one
    /// address, and an HTTP/JSON body over the 4 MB limit: each must be refused with its own status.
    /// </summary>
    async Task HostileCallerProbesAsync(Action<string, bool> note)
    {
        var bytes = Marshallers.Create<byte[]>(b => b, b => b);
        var convene = new Method<byte[], byte[]>(MethodType.Unary, BodiesService.Descriptor.FullName, "ConveneSession", bytes, bytes);
        foreach (var (what, body) in new (string, byte[])[]
        {
            ("a truncated message", new ConveneSessionRequest { Body = "bodies/csc", Place = "Moscow" }.ToByteArray()[..^3]),
            ("a string that is not UTF-8", [0x0A, 0x03, 0xC3, 0x28, 0xFF]),
            ("60,000 nested groups", [.. Enumerable.Repeat((byte)0x5B, 60_000)]),
        })
        {
            var code = await StatusOfAsync(() => Channel("bodies").AsyncUnaryCall(convene, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), body).ResponseAsync);
            note($"bodies: ConveneSession with {what} ({code})", code == StatusCode.InvalidArgument);
        }

        var unknownEnum = await StatusOfAsync(() => new BodiesService.BodiesServiceClient(Channel("bodies")).ListDraftsAsync(new ListDraftsRequest { Status = (DraftStatus)77 }).ResponseAsync);
        note($"bodies: ListDrafts with status 77, a number DraftStatus does not define ({unknownEnum})", unknownEnum == StatusCode.InvalidArgument);

        var log = new EventLogService.EventLogServiceClient(Channel("bodies"));
        var page = await log.ListEventsAsync(new ListEventsRequest { FromPosition = 1, PageSize = 2 });
        var edited = page.NextPageToken.Length > 4 ? page.NextPageToken[..3] + (page.NextPageToken[3] == 'A' ? 'Q' : 'A') + page.NextPageToken[4..] : "x";
        var tampered = await StatusOfAsync(() => log.ListEventsAsync(new ListEventsRequest { FromPosition = 1, PageSize = 2, PageToken = edited }).ResponseAsync);
        note($"bodies: ListEvents with an edited page token ({tampered})", tampered == StatusCode.InvalidArgument);

        // guessing: tokens signed with keys the suite does not trust, from this address, 200 times; a caller with a good
        // token it used before goes on meanwhile
        var good = new EventLogService.EventLogServiceClient(Operator("membership"));
        await good.GetLogInfoAsync(new GetLogInfoRequest());
        var codes = new List<StatusCode>();
        for (var i = 0; i < 200; i++)
        {
            var guess = TokenIssuer.Issue(new SigningSettings($"guess-{i}-0123456789abcdef0123456789abcdef"), "guesser", Roles.Operator, null, TimeSpan.FromHours(1));
            codes.Add(await StatusOfAsync(() => new EventLogService.EventLogServiceClient(_channels["membership"].WithToken(guess)).ListErrorsAsync(new ListErrorsRequest()).ResponseAsync));
        }

        var limited = codes.Count(c => c == StatusCode.ResourceExhausted);
        note($"membership: 200 guessed tokens from one address: {codes.Count(c => c == StatusCode.Unauthenticated)} UNAUTHENTICATED, then {limited} RESOURCE_EXHAUSTED unvalidated", codes.All(c => c is StatusCode.Unauthenticated or StatusCode.ResourceExhausted) && limited > 150);
        var stillServed = await StatusOfAsync(() => good.GetLogInfoAsync(new GetLogInfoRequest()).ResponseAsync);
        note($"membership: a caller from the same address whose token verified before the guessing ({stillServed}: not slowed)", stillServed == StatusCode.OK);

        // 25 MB of JSON: refused by its declared length, before it is read
        using var http = new HttpClient { BaseAddress = new Uri(Environment.GetEnvironmentVariable("CSTO_BODIES_URL") ?? "http://127.0.0.1:5102"), Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/bodies/csc/sessions") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"place\":\"" + new string('x', 25 * 1024 * 1024) + "\"}")) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TokenIssuer.Issue(new SigningSettings(SigningSettings.FindKey() ?? SigningSettings.DevelopmentKey), "csto-faults", Roles.Secretariat, null, TimeSpan.FromHours(1)));
        int status;
        try
        {
            using var response = await http.SendAsync(request);
            status = (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            status = 413; // the server answered 413 and closed while the body was still being sent
        }

        note($"bodies: a 25 MB HTTP/JSON body (HTTP {status})", status == 413);
    }

    static async Task<StatusCode> StatusOfAsync(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    /// <summary>
    /// 200 StreamEvents of the whole bodies log with follow, each with a token of its own subject and its own connection,
    /// never read: the service holds at most Limits:MaxStreams of them (the others are refused TOO_MANY_STREAMS), ends the
    /// ones it holds after Limits:StalledStreamSeconds, and its RSS follows the limit, not the callers. Returns the RSS
    /// change while they are open and after they ended (MB).
    /// </summary>
    async Task<(long WhileOpen, long After)> StalledStreamsAsync(Action<string, bool> note, Func<long> rss)
    {
        var url = Environment.GetEnvironmentVariable("CSTO_BODIES_URL") ?? "http://127.0.0.1:5102";
        var key = new SigningSettings(SigningSettings.FindKey() ?? SigningSettings.DevelopmentKey);
        GC.Collect();
        var start = rss();
        var channels = new List<GrpcChannel>();
        var calls = new List<AsyncServerStreamingCall<StreamEventsResponse>>();
        var refused = 0;
        var held = 0;
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        for (var i = 0; i < 200; i++)
        {
            var channel = Csto.Kernel.Channels.For(url, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
            channels.Add(channel);
            var token = TokenIssuer.Issue(key, $"stalled-{i}", Roles.Reader, null, TimeSpan.FromHours(1));
            var call = new EventLogService.EventLogServiceClient(channel.WithToken(token)).StreamEvents(new StreamEventsRequest { FromPosition = 1, Follow = true, MaxBatchSize = 5000 }, cancellationToken: cancel.Token);
            calls.Add(call);
            try
            {
                await call.ResponseHeadersAsync; // the server took the stream, or refused it
            }
            catch (RpcException)
            {
            }
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        var whileOpen = rss() - start;
        // nothing is read: the held streams stall and end after Limits:StalledStreamSeconds (30 s) and 5 s more
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            using var probe = new EventLogService.EventLogServiceClient(channels[0].WithToken(TokenIssuer.Issue(key, "stalled-probe", Roles.Reader, null, TimeSpan.FromHours(1))))
                .StreamEvents(new StreamEventsRequest { FromPosition = long.MaxValue - 1 }, cancellationToken: cancel.Token);
            try
            {
                while (await probe.ResponseStream.MoveNext(cancel.Token))
                {
                }

                break; // a stream is served again: the stalled ones have been let go
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
            }
        }

        foreach (var call in calls)
        {
            try
            {
                while (await call.ResponseStream.MoveNext(cancel.Token))
                {
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted && ex.Status.Detail.Contains("Limits:MaxStreams", StringComparison.Ordinal))
            {
                refused++;
            }
            catch (RpcException)
            {
                held++; // ended STREAM_STALLED (read after the grace: the stream was reset, so the status could not be seen)
            }
        }

        calls.ForEach(c => c.Dispose());
        channels.ForEach(c => c.Dispose());
        // what the streams held is garbage now: the server's GC and Kestrel's memory pool give it back over some seconds
        var after = rss() - start;
        var waited = 0;
        for (; waited < 60 && after >= 20; waited += 5)
        {
            await Task.Delay(TimeSpan.FromSeconds(5));
            after = rss() - start;
        }

        note($"bodies: 200 follow streams of the whole log with 200 subjects, never read: {held} held, {refused} refused TOO_MANY_STREAMS, rss +{whileOpen} MB while open, {after:+0;-0} MB {waited} s after they ended", refused >= 200 - 64 && whileOpen < 50 && after < 20);
        return (whileOpen, after);
    }

    public async Task<int> PurgeAsync()
    {
        foreach (var service in new[] { "bodies", "operations", "membership" })
        {
            var purged = await new EventLogService.EventLogServiceClient(Operator(service)).PurgeErrorsAsync(new PurgeErrorsRequest { Queue = $"csto.{service}_error" });
            Console.WriteLine($"  {service}: purged {purged.PurgedCount}");
        }

        return 0;
    }

    /// <summary>An extension adopted before the authorization it extends (the reverse of their order in the world).</summary>
    public async Task<int> ReversedDecisionsAsync(string scenario)
    {
        var bodies = new BodiesService.BodiesServiceClient(Channel("bodies"));
        var name = "Kordon-" + Guid.NewGuid().ToString("N")[..6];
        var slug = name.ToLowerInvariant();
        async Task AdoptAsync(string id, DateOnly day, DecisionPayload payload)
        {
            await bodies.ConveneSessionAsync(new ConveneSessionRequest { Body = "bodies/csc", SessionId = id, Date = Date.From(day), Place = "Moscow", HostState = "RUS", RequestId = id });
            await bodies.TableDraftAsync(new TableDraftRequest { Session = "sessions/" + id, DraftId = id, Title = id, Payload = payload, RequestId = id + "-t" });
            foreach (var state in new[] { "BLR", "KAZ", "KGZ", "RUS", "TJK" })
            {
                await bodies.RecordPositionAsync(new RecordPositionRequest { Draft = "drafts/" + id, State = state, Position = Position.Support, RequestId = id + "-" + state });
            }

            var closed = await bodies.CloseDraftAsync(new CloseDraftRequest { Draft = "drafts/" + id, Action = CloseAction.Decide, RequestId = id + "-c" });
            if (closed.Draft.Status != DraftStatus.Adopted)
            {
                throw new InvalidOperationException($"{id} was not adopted: {closed.Decision?.Reason}");
            }
        }

        await AdoptAsync(slug + "-extend", new DateOnly(2029, 6, 1), new DecisionPayload { ExtendOperation = new ExtendOperation { Name = name, NewEndDate = Date.From(new(2031, 12, 31)) } });
        await AdoptAsync(slug + "-authorize", new DateOnly(2028, 1, 15), new DecisionPayload { AuthorizeOperation = new AuthorizeOperation { Name = name, Kind = OperationKind.AntiDrug, StartDate = Date.From(new(2028, 2, 1)), EndDate = Date.From(new(2030, 12, 31)) } });
        var operations = new OperationsService.OperationsServiceClient(Channel("operations"));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        Operation? op = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                op = (await operations.GetOperationAsync(new GetOperationRequest { Name = "operations/" + slug, AsOf = Date.From(new(2029, 1, 1)) })).Operation;
                if (op.EndDate?.Year == 2031)
                {
                    break;
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
            }

            await Task.Delay(500);
        }

        var ok = op?.EndDate is { Year: 2031, Month: 12, Day: 31 } && op.LaterDecisions.Count == 1;
        Console.WriteLine($"  {name}: end date {op?.EndDate?.ToIso() ?? "(not opened)"}, later decisions [{string.Join(", ", op?.LaterDecisions ?? [])}] (in order: 2031-12-31, the extension)");
        Console.WriteLine($"{scenario}: lost {(ok ? 0 : 1)}, applied twice 0, recovered {(ok ? "yes" : "no")}");
        return ok ? 0 : 1;
    }
}

/// <summary>The checker's own connection to the cluster's PostgreSQL: one connection, outside every instance's pool.</summary>
sealed class Database(string connectionString)
{
    readonly Npgsql.NpgsqlDataSource _source = Npgsql.NpgsqlDataSource.Create(
        new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "csto-faults", MaxPoolSize = 1, Timeout = 30 });

    /// <summary>The service's schema, as the services name it (PostgresSchema.For).</summary>
    static string Schema(string service) => "csto_" + service;

    public async Task<List<EventRecord>> ReadAllAsync(string service, string prefix)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(
            $"SELECT position, stream_id, stream_version, event_id, type, data, metadata FROM {Schema(service)}.events WHERE starts_with(stream_id, @p) ORDER BY position", connection);
        cmd.Parameters.AddWithValue("p", prefix);
        var records = new List<EventRecord>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            records.Add(new EventRecord
            {
                Position = reader.GetInt64(0),
                StreamId = reader.GetString(1),
                StreamVersion = reader.GetInt64(2),
                EventId = reader.GetString(3),
                Type = reader.GetString(4),
                Data = ByteString.CopyFrom(reader.GetFieldValue<byte[]>(5)),
                Metadata = EventMetadata.Parser.ParseFrom(reader.GetFieldValue<byte[]>(6)),
                SourceService = service,
            });
        }

        return records;
    }

    /// <summary>The relay's checkpoint (what the broker confirmed, EventRelay.CheckpointName) and the log's head.</summary>
    public async Task<(long Checkpoint, long Head)> RelayAsync(string service)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(
            $"SELECT (SELECT position FROM {Schema(service)}.checkpoints WHERE name = 'relay'), (SELECT position FROM {Schema(service)}.head WHERE id = 1)", connection);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.IsDBNull(0) ? 0 : reader.GetInt64(0), reader.GetInt64(1));
    }
}

/// <summary>
/// The connections of the cluster's instances, sampled from pg_stat_activity (every 200 ms, through one connection of its
/// own) while a scenario runs: each instance names itself csto-&lt;service&gt;#&lt;n&gt; (deploy/cluster.sh).
/// </summary>
static class Connections
{
    public static async Task<int> SampleAsync(int pool, int instances, string stopFile)
    {
        var connectionString = Environment.GetEnvironmentVariable("CSTO_FAULTS_POSTGRES") ?? throw new InvalidOperationException("CSTO_FAULTS_POSTGRES is not set");
        var budget = pool * instances;
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "csto-faults-sampler", Pooling = false, Timeout = 30 };
        var peakPer = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long peakInstances = 0, peakTotal = 0, samples = 0, failures = 0;
        var maxConnections = 0;
        Npgsql.NpgsqlConnection? connection = null;
        while (true)
        {
            var stopping = File.Exists(stopFile);
            try
            {
                if (connection is null)
                {
                    connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
                    await connection.OpenAsync();
                    await using var show = new Npgsql.NpgsqlCommand("SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int", connection);
                    maxConnections = (int)(await show.ExecuteScalarAsync())!;
                }

                await using var cmd = new Npgsql.NpgsqlCommand(
                    "SELECT application_name, count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1", connection);
                long instancesNow = 0, totalNow = 0;
                await using (var reader = await cmd.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        var name = reader.IsDBNull(0) ? "" : reader.GetString(0);
                        var n = reader.GetInt64(1);
                        totalNow += n;
                        if (name.StartsWith("csto-", StringComparison.Ordinal) && name.Contains('#'))
                        {
                            instancesNow += n;
                            peakPer[name] = Math.Max(peakPer.GetValueOrDefault(name), n);
                        }
                    }
                }

                samples++;
                peakInstances = Math.Max(peakInstances, instancesNow);
                peakTotal = Math.Max(peakTotal, totalNow);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or IOException or TimeoutException)
            {
                // PostgreSQL stopped (postgres-restart): sample again when it is back
                failures++;
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                    connection = null;
                }
            }

            if (stopping)
            {
                break;
            }

            await Task.Delay(200);
        }

        if (connection is not null)
        {
            await connection.DisposeAsync();
        }

        var over = peakPer.Where(p => p.Value > pool).Select(p => $"{p.Key} {p.Value}").ToList();
        var ok = samples > 0 && peakInstances <= budget && over.Count == 0;
        Console.WriteLine($"  connections per instance at their peak: {string.Join(", ", peakPer.Select(p => $"{p.Key} {p.Value}"))} (pool {pool} each); {samples} samples, {failures} while the server was away");
        Console.WriteLine($"connections: peak {peakInstances} of the instances' budget {budget} ({instances} x {pool}), peak total {peakTotal} of {maxConnections} ordinary slots, within budget {(ok ? "yes" : "no" + (over.Count > 0 ? ": " + string.Join(", ", over) : ""))}");
        return ok ? 0 : 1;
    }
}

static class Raw
{
    const string Exchange = "csto.membership.v1.MemberStatusChanged";

    static Dictionary<string, object?> Headers(string eventId, string type, string source = "membership") => new()
    {
        ["csto-event-id"] = Encoding.UTF8.GetBytes(eventId),
        ["csto-type"] = Encoding.UTF8.GetBytes(type),
        ["csto-source"] = Encoding.UTF8.GetBytes(source),
        ["csto-stream-id"] = Encoding.UTF8.GetBytes("member-XXX"),
        ["csto-stream-version"] = Encoding.UTF8.GetBytes("1"),
        ["csto-position"] = Encoding.UTF8.GetBytes("1"),
    };

    /// <summary>One event of <paramref name="type"/> claiming <paramref name="source"/>, into <paramref name="exchange"/> (which exists).</summary>
    public static async Task PublishClaimAsync(string amqp, string exchange, string type, string source, string stream, byte[] body)
    {
        var headers = Headers(Guid.NewGuid().ToString(), type, source);
        headers["csto-stream-id"] = Encoding.UTF8.GetBytes(stream);
        await PublishAsync(amqp, [(headers, body)], exchange);
    }

    static async Task PublishAsync(string amqp, IEnumerable<(Dictionary<string, object?> Headers, byte[] Body)> messages, string exchange = Exchange)
    {
        var uri = new Uri(amqp);
        await using var connection = await new ConnectionFactory { Uri = uri }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        foreach (var (headers, body) in messages)
        {
            var properties = new BasicProperties { ContentType = "application/x-protobuf", Persistent = true, UserId = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]), Headers = headers };
            await channel.BasicPublishAsync(exchange, "", mandatory: true, properties, body);
        }
    }

    public static async Task<int> PoisonAsync(string amqp)
    {
        var valid = new MemberStatusChanged { State = "KAZ", NewStatus = MemberStatus.Member, StreamVersion = 99, EffectiveDate = Date.From(new(2031, 1, 1)) }.ToByteArray();
        await PublishAsync(amqp,
        [
            (Headers(Guid.NewGuid().ToString(), Exchange), []),
            (Headers(Guid.NewGuid().ToString(), Exchange), [0x0F, 0xFF, 0xFF, 0xFF]),
            (Headers(Guid.NewGuid().ToString(), "csto.membership.v1.NoSuchEvent"), valid),
            (new Dictionary<string, object?> { ["csto-event-id"] = Encoding.UTF8.GetBytes(Guid.NewGuid().ToString()) }, valid),
        ]);
        Console.WriteLine("  published 4 poison messages (empty body, garbage body, unknown type, headers missing)");
        return 0;
    }

    public static async Task<int> ForgeAsync(string amqp)
    {
        var forged = new MemberStatusChanged { State = "KAZ", NewStatus = MemberStatus.Withdrawn, StreamVersion = 99, EffectiveDate = Date.From(new(2031, 1, 1)) };
        await PublishAsync(amqp, [(Headers(Guid.NewGuid().ToString(), Exchange), forged.ToByteArray())]);
        Console.WriteLine($"  published a MemberStatusChanged (KAZ withdrawn) claiming to come from membership, as {new Uri(amqp).UserInfo.Split(':')[0]}");
        return 0;
    }

    public static async Task<int> CopyAsync(string amqp, EventRecord record)
    {
        var headers = Headers(record.EventId, record.Type);
        headers["csto-stream-id"] = Encoding.UTF8.GetBytes(record.StreamId);
        headers["csto-stream-version"] = Encoding.UTF8.GetBytes(record.StreamVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        headers["csto-position"] = Encoding.UTF8.GetBytes(record.Position.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await PublishAsync(amqp, [(headers, record.Data.ToByteArray())]);
        Console.WriteLine($"  published a raw copy of {record.StreamId}@{record.StreamVersion} ({record.EventId})");
        return 0;
    }
}
