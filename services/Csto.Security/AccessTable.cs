using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Csto.Security;

/// <summary>
/// Who may call one method: <see cref="Roles"/>; for the state-bound roles (delegate, reporter) the request
/// field <see cref="StateField"/> names the state acted for and must equal the token's <c>csto_state</c>.
/// </summary>
public sealed record AccessRule(IReadOnlySet<string> Roles, string? StateField = null)
{
    /// <summary>The state a request acts for ("" when the field is unset or the rule has none).</summary>
    public string StateOf(IMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return StateField is null ? "" : request.Descriptor.FindFieldByName(StateField)?.Accessor.GetValue(request) as string ?? "";
    }
}

/// <summary>The access rules of every method of one gRPC service, keyed by the method's full path "/package.Service/Method".</summary>
public sealed class AccessTable
{
    readonly Dictionary<string, AccessRule> _rules;

    AccessTable(ServiceDescriptor service, Dictionary<string, AccessRule> rules)
    {
        Service = service;
        _rules = rules;
    }

    public ServiceDescriptor Service { get; }

    public IReadOnlyDictionary<string, AccessRule> Rules => _rules;

    public static Builder For(ServiceDescriptor service) => new(service);

    public static string PathOf(MethodDescriptor method)
    {
        ArgumentNullException.ThrowIfNull(method);
        return "/" + method.Service.FullName + "/" + method.Name;
    }

    public sealed class Builder(ServiceDescriptor service)
    {
        readonly Dictionary<string, AccessRule> _rules = new(StringComparer.Ordinal);

        /// <summary>Queries: every role.</summary>
        public Builder Read(params string[] methods)
        {
            foreach (var m in methods)
            {
                Add(m, new AccessRule(new HashSet<string>(Roles.All, StringComparer.Ordinal)));
            }

            return this;
        }

        public Builder Allow(string method, params string[] roles) => Add(method, new AccessRule(new HashSet<string>(roles, StringComparer.Ordinal)));

        /// <summary>State-bound roles among <paramref name="roles"/> may act only for the state named by <paramref name="stateField"/>.</summary>
        public Builder AllowForState(string method, string stateField, params string[] roles)
        {
            var descriptor = service.FindMethodByName(method) ?? throw new ArgumentException($"{service.FullName} has no method {method}", nameof(method));
            if (descriptor.InputType.FindFieldByName(stateField) is not { FieldType: FieldType.String })
            {
                throw new ArgumentException($"{descriptor.InputType.FullName} has no string field {stateField}", nameof(stateField));
            }

            return Add(method, new AccessRule(new HashSet<string>(roles, StringComparer.Ordinal), stateField));
        }

        /// <summary>Fails when a method of the service has no rule: a method added to the proto must be placed in the table.</summary>
        public AccessTable Build()
        {
            var missing = service.Methods.Where(m => !_rules.ContainsKey(AccessTable.PathOf(m))).Select(m => m.Name).ToList();
            return missing.Count > 0
                ? throw new InvalidOperationException($"access table of {service.FullName} has no rule for {string.Join(", ", missing)}")
                : new AccessTable(service, _rules);
        }

        Builder Add(string method, AccessRule rule)
        {
            var descriptor = service.FindMethodByName(method) ?? throw new ArgumentException($"{service.FullName} has no method {method}", nameof(method));
            if (rule.Roles.FirstOrDefault(r => !Roles.IsKnown(r)) is { } unknown)
            {
                throw new ArgumentException($"unknown role {unknown}", nameof(rule));
            }

            if (!_rules.TryAdd(AccessTable.PathOf(descriptor), rule))
            {
                throw new ArgumentException($"{method} is in the table twice", nameof(method));
            }

            return this;
        }
    }
}
