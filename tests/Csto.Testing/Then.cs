using Google.Protobuf;
using Xunit;

namespace Csto.Testing;

/// <summary>
/// The Then of every service's Given/When/Then specs over the pure decide functions: accepted with these events,
/// refused by this rule, or bad input in this field, each with nothing to append.
/// </summary>
public static class Then
{
    /// <summary>Accepted with exactly one event, of type <typeparamref name="T"/>.</summary>
    public static T Single<T>(Verdict verdict)
        where T : IMessage
    {
        Assert.Null(verdict.Violation);
        return Assert.IsType<T>(Assert.Single(verdict.Events));
    }

    /// <summary>Accepted, and the first event is of type <typeparamref name="T"/>.</summary>
    public static T First<T>(Verdict verdict)
        where T : IMessage
    {
        Assert.Null(verdict.Violation);
        Assert.NotEmpty(verdict.Events);
        return Assert.IsType<T>(verdict.Events[0]);
    }

    /// <summary>Refused by the rule named <paramref name="reason"/> (FAILED_PRECONDITION), nothing to append.</summary>
    public static void Refused(Verdict verdict, string reason)
    {
        var rule = Assert.IsType<RuleBroken>(verdict.Violation);
        Assert.Equal(reason, rule.Reason);
        Assert.Empty(verdict.Events);
    }

    /// <summary>Refused because the entity exists already (ALREADY_EXISTS naming <paramref name="resource"/>), nothing to append.</summary>
    public static void Exists(Verdict verdict, string resource)
    {
        var exists = Assert.IsType<ResourceExists>(verdict.Violation);
        Assert.Equal(resource, exists.Resource);
        Assert.Empty(verdict.Events);
    }

    /// <summary>Bad input in <paramref name="field"/> (INVALID_ARGUMENT), nothing to append.</summary>
    public static void Invalid(Verdict verdict, string field)
    {
        var invalid = Assert.IsType<InvalidField>(verdict.Violation);
        Assert.Equal(field, invalid.Field);
        Assert.Empty(verdict.Events);
    }

    /// <summary>Accepted with nothing new to record (already recorded).</summary>
    public static void Nothing(Verdict verdict)
    {
        Assert.Null(verdict.Violation);
        Assert.Empty(verdict.Events);
    }
}
