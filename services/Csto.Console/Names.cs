using Csto.Bodies.V1;

namespace Csto.Console;

/// <summary>Enum values in words, as a person reads them ("limited format", "not participating").</summary>
public static class Names
{
    public static string Rule(DecisionRule rule) => rule == DecisionRule.Unspecified ? "" : FigureWords.Name(rule.ToString());

    public static string Position(Position position) => position == Bodies.V1.Position.Unspecified ? "" : FigureWords.Name(position.ToString());

    public static string Of(Enum value) => value is null ? "" : Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) == 0 ? "" : FigureWords.Name(value.ToString());
}
