using System.Collections.Immutable;
using Csto.Operations.V1;

namespace Csto.Operations.Outcomes;

/// <summary>
/// How exact a sum is, from how exact its parts are. A source's "about 245 t" or "more than 1,300 rounds" keeps its
/// qualifier through every sum it enters: adding an exact figure keeps the other's qualifier; two lower bounds add
/// up to a lower bound and two upper bounds to an upper bound; a lower and an upper bound, or anything approximate,
/// give an approximation. An unstated qualifier reads as exact, so an exact 0 (a figure not reported) changes nothing.
/// </summary>
public static class Qualifiers
{
    /// <summary>UNSPECIFIED is read as EXACT.</summary>
    public static Qualifier Normal(Qualifier q) => q == Qualifier.Unspecified ? Qualifier.Exact : q;

    public static Qualifier Combine(Qualifier a, Qualifier b)
    {
        (a, b) = (Normal(a), Normal(b));
        return a == Qualifier.Exact ? b
            : b == Qualifier.Exact ? a
            : a == b ? a
            : Qualifier.About; // AT_LEAST + AT_MOST, or ABOUT with anything
    }

    /// <summary>The qualifier of a sum of parts; EXACT for none.</summary>
    public static Qualifier Sum(IEnumerable<Qualifier> parts) => parts.Aggregate(Qualifier.Exact, Combine);

    /// <summary>The figures of OutcomeFigures a qualifier may name: its counts and explosives_kg.</summary>
    public static readonly ImmutableArray<string> QualifiableFields = [.. Figures.Counts(new OutcomeFigures()).Select(c => c.Name), "explosives_kg"];

    /// <summary>The qualifier of one figure of <paramref name="figures"/>: as listed, EXACT when not listed.</summary>
    public static Qualifier Of(OutcomeFigures figures, string field) =>
        Normal(figures.Qualifiers.FirstOrDefault(q => string.Equals(q.Field, field, StringComparison.Ordinal))?.Qualifier ?? Qualifier.Exact);
}
