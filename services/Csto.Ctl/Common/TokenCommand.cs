using System.CommandLine;
using System.Globalization;
using Csto.Security;

namespace Csto.Ctl.Common;

/// <summary>cstoctl token issue: development tokens signed with the key the services are configured with.</summary>
public static class TokenCommand
{
    public static readonly Option<string?> Issuer = new("--issuer") { Description = $"token issuer (env CSTO_TOKEN_ISSUER; default {SigningSettings.DefaultIssuer}, as Security:Issuer)", Recursive = true };
    public static readonly Option<string?> Audience = new("--audience") { Description = $"token audience (env CSTO_TOKEN_AUDIENCE; default {SigningSettings.DefaultAudience}, as Security:Audience)", Recursive = true };

    /// <summary>The deployment's key (<see cref="SigningSettings.FindKey"/>), else the repository's development key.</summary>
    public static SigningSettings Signing(ParseResult parse)
    {
        var key = SigningSettings.FindKey();
        return new SigningSettings(
            key ?? SigningSettings.DevelopmentKey,
            parse.GetValue(Issuer) ?? Environment.GetEnvironmentVariable("CSTO_TOKEN_ISSUER") ?? SigningSettings.DefaultIssuer,
            parse.GetValue(Audience) ?? Environment.GetEnvironmentVariable("CSTO_TOKEN_AUDIENCE") ?? SigningSettings.DefaultAudience);
    }

    public static Command Build(CtlContext ctx)
    {
        var token = new Command("token", "development bearer tokens");
        var issue = new Command("issue", $"print a token signed with {SigningSettings.KeyVariable}, else the key file of the data folder ($CSTO_DATA or .data/{SigningSettings.KeyFileName}, which deploy/up.sh generates), else the development key; use it with --token or CSTO_TOKEN");
        var role = new Option<string>("--role") { Description = string.Join(", ", Roles.All), Required = true };
        var state = new Option<string?>("--state") { Description = "ISO 3166-1 alpha-3 code the delegate or reporter acts for" };
        var ttl = new Option<string>("--ttl") { Description = "lifetime: 30m, 8h, 2d or hh:mm:ss", DefaultValueFactory = _ => "8h" };
        var subject = new Option<string?>("--subject") { Description = "token subject (default: dev-<role>[-<state>])" };
        issue.Options.Add(role);
        issue.Options.Add(state);
        issue.Options.Add(ttl);
        issue.Options.Add(subject);
        issue.Options.Add(Issuer);
        issue.Options.Add(Audience);
        issue.SetAction(async (p, ct) =>
        {
            var r = p.GetValue(role)!;
            var s = p.GetValue(state)?.ToUpperInvariant();
            if (!Roles.IsKnown(r))
            {
                throw new CtlException(ExitCodes.Usage, $"--role must be one of {string.Join(", ", Roles.All)}; not '{r}'");
            }

            if (Roles.IsStateBound(r) != !string.IsNullOrEmpty(s))
            {
                throw new CtlException(ExitCodes.Usage, Roles.IsStateBound(r) ? $"a {r} acts for one state: --state ISO3 is required" : $"a {r} acts for no state: leave out --state");
            }

            var lifetime = ParseTtl(p.GetValue(ttl)!);
            var signing = Signing(p);
            if (SigningSettings.FindKey() is null)
            {
                await ctx.Error.WriteLineAsync($"cstoctl: signing with the DEVELOPMENT key ({SigningSettings.KeyVariable} is unset and there is no $CSTO_DATA/{SigningSettings.KeyFileName} or .data/{SigningSettings.KeyFileName}); only a service in Development accepts it");
            }

            var jwt = TokenIssuer.Issue(signing, p.GetValue(subject) ?? ("dev-" + r + (s is null ? "" : "-" + s)), r, s, lifetime);
            await ctx.Out.WriteLineAsync(jwt);
            return ExitCodes.Ok;
        });
        token.Subcommands.Add(issue);
        return token;
    }

    public static TimeSpan ParseTtl(string text)
    {
        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero
            ? span
            : throw new CtlException(ExitCodes.Usage, $"--ttl: '{text}' is not a lifetime (30m, 8h, 2d, hh:mm:ss)");
    }
}
