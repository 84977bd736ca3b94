namespace Csto.EventLog.Hosting;

/// <summary>
/// The broker a service connects to, read from <c>EventLog:RabbitMqUrl</c>: one amqp URL, or the URLs of the nodes of one
/// cluster separated by commas (same user, password and virtual host on each, since users and virtual hosts are
/// cluster-wide). MassTransit and the relay's own channel get every node, so that when the node they are connected to
/// dies they reconnect to another instead of waiting for that one to come back.
/// </summary>
public sealed class BrokerAddresses
{
    const string Setting = "EventLog:RabbitMqUrl";

    BrokerAddresses(Uri first, string user, string password, string virtualHost, IReadOnlyList<(string Host, int Port)> nodes)
    {
        First = first;
        User = user;
        Password = password;
        VirtualHost = virtualHost;
        Nodes = nodes;
    }

    /// <summary>The first URL as given: user, password and virtual host for a client that takes one URI.</summary>
    public Uri First { get; }

    public string User { get; }

    public string Password { get; }

    /// <summary>The virtual host, "/" when the URL names none.</summary>
    public string VirtualHost { get; }

    /// <summary>Host and port of each node, in the order given (5672 where a URL names no port).</summary>
    public IReadOnlyList<(string Host, int Port)> Nodes { get; }

    /// <summary>
    /// Parses the setting; throws naming <c>EventLog:RabbitMqUrl</c> when an entry is not an amqp URL, names no user, or
    /// differs from the first in user, password or virtual host (one service is one broker user on one virtual host).
    /// </summary>
    public static BrokerAddresses Parse(string setting)
    {
        var entries = (setting ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (entries.Length == 0)
        {
            throw new InvalidOperationException($"{Setting} is empty: amqp://user:password@host:port/vhost, or several such URLs separated by commas");
        }

        var urls = entries.Select(ParseOne).ToList();
        var first = urls[0];
        foreach (var other in urls.Skip(1))
        {
            if (other.User != first.User || other.Password != first.Password || other.VirtualHost != first.VirtualHost)
            {
                throw new InvalidOperationException($"{Setting}: every URL of a cluster names the same user, password and virtual host ('{Redacted(other.Url)}' differs from '{Redacted(first.Url)}')");
            }
        }

        return new BrokerAddresses(first.Url, first.User, first.Password, first.VirtualHost, [.. urls.Select(u => (u.Url.Host, u.Url.Port > 0 ? u.Url.Port : 5672))]);
    }

    static (Uri Url, string User, string Password, string VirtualHost) ParseOne(string entry)
    {
        if (!Uri.TryCreate(entry, UriKind.Absolute, out var url) || (url.Scheme != "amqp" && url.Scheme != "amqps"))
        {
            throw new InvalidOperationException($"{Setting}: '{Redacted(entry)}' is not an amqp URL (amqp://user:password@host:port/vhost)");
        }

        var user = url.UserInfo.Split(':', 2);
        if (user[0].Length == 0)
        {
            // no silent fallback to guest: the URL names the service's user
            throw new InvalidOperationException($"{Setting} '{url.GetLeftPart(UriPartial.Authority)}' names no user (amqp://user:password@host:port/vhost)");
        }

        var vhost = Uri.UnescapeDataString(url.AbsolutePath.TrimStart('/'));
        return (url, Uri.UnescapeDataString(user[0]), Uri.UnescapeDataString(user.Length > 1 ? user[1] : ""), vhost.Length == 0 ? "/" : vhost);
    }

    /// <summary>An entry for an error message, without its password.</summary>
    static string Redacted(Uri url) => new UriBuilder(url) { Password = url.UserInfo.Contains(':', StringComparison.Ordinal) ? "***" : "" }.Uri.ToString();

    static string Redacted(string entry) => Uri.TryCreate(entry, UriKind.Absolute, out var url) ? Redacted(url) : "(not a URL)";
}
