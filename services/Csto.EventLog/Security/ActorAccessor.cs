using System.Security.Claims;
using Csto.EventLog.V1;
using Csto.Security;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Csto.EventLog.Security;

/// <summary>Who is calling: the actor written into the metadata of the events an API call appends.</summary>
public interface IActorAccessor
{
    /// <summary>The authenticated caller of the current gRPC call, or null outside a call (consumers, timers).</summary>
    Actor? Current { get; }
}

public sealed class HttpActorAccessor(IHttpContextAccessor http) : IActorAccessor
{
    public Actor? Current => http.HttpContext?.User is { Identity.IsAuthenticated: true } user ? Actors.Of(user) : null;
}

public static class Actors
{
    public static Actor Of(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new Actor { Subject = user.Subject(), Role = user.Role(), State = user.State() };
    }

    /// <summary>The caller of a gRPC call (the access interceptor has already required a token).</summary>
    public static Actor Of(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Of(context.GetHttpContext().User);
    }

    /// <summary>A name for per-caller limits: the token subject, else the peer.</summary>
    public static string CallerKey(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var subject = context.GetHttpContext().User.Subject();
        return subject.Length > 0 ? "sub:" + subject : "peer:" + context.Peer;
    }
}
