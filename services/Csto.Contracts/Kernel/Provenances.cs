using Csto.Common.V1;

namespace Csto.Kernel;

/// <summary>The rules of a write's provenance (see protos/csto/common/v1/provenance.proto), and its one-line rendering.</summary>
public static class Provenances
{
    public const int MaxSource = 500;
    public const int MaxReason = 2000;

    /// <summary>The first problem of a provenance, naming the field under <paramref name="field"/>; null when it is fine or unset.</summary>
    public static InvalidField? Problem(Provenance? provenance, string field = "provenance")
    {
        if (provenance is null)
        {
            return null;
        }

        if (!Enum.IsDefined(provenance.Basis))
        {
            return new InvalidField(field + ".basis", "unknown basis (SOURCED, DERIVED, CHOSEN or ILLUSTRATIVE)");
        }

        if (provenance.Source.Length > MaxSource)
        {
            return new InvalidField(field + ".source", $"at most {MaxSource} characters");
        }

        if (provenance.Reason.Length > MaxReason)
        {
            return new InvalidField(field + ".reason", $"at most {MaxReason} characters");
        }

        if (provenance.Basis is Basis.Chosen or Basis.Derived or Basis.Illustrative && string.IsNullOrWhiteSpace(provenance.Reason))
        {
            return new InvalidField(field + ".reason", $"a {Name(provenance.Basis)} fact says what was {(provenance.Basis == Basis.Derived ? "derived" : "chosen")} and why");
        }

        if (provenance.Basis == Basis.Unspecified && (provenance.Source.Length > 0 || provenance.Reason.Length > 0))
        {
            return new InvalidField(field + ".basis", "a provenance with a source or a reason states its basis (SOURCED, DERIVED, CHOSEN or ILLUSTRATIVE)");
        }

        return provenance.Basis == Basis.Sourced && string.IsNullOrWhiteSpace(provenance.Source)
            ? new InvalidField(field + ".source", "a sourced fact cites its source")
            : null;
    }

    /// <summary>"sourced: TASS, 2012-12-19", "chosen: … (reason)", or "not stated".</summary>
    public static string Describe(Provenance? provenance)
    {
        if (provenance is null || provenance.Basis == Basis.Unspecified)
        {
            return "not stated";
        }

        var text = Name(provenance.Basis);
        if (provenance.Source.Length > 0)
        {
            text += ": " + provenance.Source;
        }

        return provenance.Reason.Length > 0 ? $"{text} ({provenance.Reason})" : text;
    }

    public static string Name(Basis basis) => basis switch
    {
        Basis.Sourced => "sourced",
        Basis.Derived => "derived",
        Basis.Chosen => "chosen",
        Basis.Illustrative => "illustrative",
        _ => "not stated",
    };
}
