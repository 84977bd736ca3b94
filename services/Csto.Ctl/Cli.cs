using System.CommandLine;
using Csto.Ctl.Common;
using Csto.Ctl.Log;

namespace Csto.Ctl;

/// <summary>The command tree of cstoctl. Runs in-process too (the integration tests call it).</summary>
public static class Cli
{
    public static readonly Option<string?> MembershipUrl = new("--membership-url") { Description = "membership service address (env CSTO_MEMBERSHIP_URL; default http://127.0.0.1:5101)", Recursive = true };
    public static readonly Option<string?> BodiesUrl = new("--bodies-url") { Description = "bodies service address (env CSTO_BODIES_URL; default http://127.0.0.1:5102)", Recursive = true };
    public static readonly Option<string?> OperationsUrl = new("--operations-url") { Description = "operations service address (env CSTO_OPERATIONS_URL; default http://127.0.0.1:5103)", Recursive = true };
    public static readonly Option<bool> Json = new("--json") { Description = "machine-readable output (protobuf JSON mapping)", Recursive = true };
    public static readonly Option<string?> Token = new("--token") { Description = "bearer token for every call (env CSTO_TOKEN; a development one: cstoctl token issue --role ROLE)", Recursive = true };

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("cstoctl: operate the CstoServices suite (logs, projections, queries, history, trace)");
        root.Options.Add(MembershipUrl);
        root.Options.Add(BodiesUrl);
        root.Options.Add(OperationsUrl);
        root.Options.Add(Json);
        root.Options.Add(Token);
        var context = new CtlContext(stdout, stderr);
        root.Subcommands.Add(LogCommands.Build(context));
        root.Subcommands.Add(LogCommands.BuildProjections(context));
        root.Subcommands.Add(HealthCommand.Build(context));
        root.Subcommands.Add(Query.QueryCommands.Build(context));
        root.Subcommands.Add(History.HistoryCommands.Build(context));
        root.Subcommands.Add(Trace.TraceCommand.Build(context));
        root.Subcommands.Add(TokenCommand.Build(context));
        root.Subcommands.Add(Errors.ErrorCommands.Build(context));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await stderr.WriteLineAsync("cstoctl: " + error.Message);
            }

            return ExitCodes.Usage;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (CtlException ex)
        {
            await stderr.WriteLineAsync("cstoctl: " + ex.Message);
            return ex.ExitCode;
        }
    }
}

/// <summary>What a command's action needs: output, and the services named by the global options.</summary>
public sealed class CtlContext(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Out { get; } = stdout;

    public TextWriter Error { get; } = stderr;

    public ServiceDirectory Services(ParseResult parse)
    {
        return ServiceDirectory.FromEnvironment(parse.GetValue(Cli.MembershipUrl), parse.GetValue(Cli.BodiesUrl), parse.GetValue(Cli.OperationsUrl), parse.GetValue(Cli.Token));
    }
}
