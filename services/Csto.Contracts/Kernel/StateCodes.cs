using System.Collections.Frozen;

namespace Csto.Kernel;

/// <summary>
/// Member states are named by ISO 3166-1 alpha-3 codes, the same way in every service and in cstoctl: the officially
/// assigned codes (249, from the Debian iso-codes 4.15 snapshot). "Any three letters" would accept typos such as
/// "KAS" and the user-assigned ranges (AAA-AAZ, QMA-QZZ, XAA-XZZ), which name no state.
/// </summary>
public static class StateCodes
{
    /// <summary>ErrorInfo.reason of the refusal of a code outside the list.</summary>
    public const string NotIso = "STATE_CODE_NOT_ISO_3166";

    public static readonly FrozenSet<string> Codes = new[]
    {
        "ABW", "AFG", "AGO", "AIA", "ALA", "ALB", "AND", "ARE", "ARG", "ARM", "ASM", "ATA", "ATF", "ATG", "AUS", "AUT", "AZE", "BDI", "BEL", "BEN",
        "BES", "BFA", "BGD", "BGR", "BHR", "BHS", "BIH", "BLM", "BLR", "BLZ", "BMU", "BOL", "BRA", "BRB", "BRN", "BTN", "BVT", "BWA", "CAF", "CAN",
        "CCK", "CHE", "CHL", "CHN", "CIV", "CMR", "COD", "COG", "COK", "COL", "COM", "CPV", "CRI", "CUB", "CUW", "CXR", "CYM", "CYP", "CZE", "DEU",
        "DJI", "DMA", "DNK", "DOM", "DZA", "ECU", "EGY", "ERI", "ESH", "ESP", "EST", "ETH", "FIN", "FJI", "FLK", "FRA", "FRO", "FSM", "GAB", "GBR",
        "GEO", "GGY", "GHA", "GIB", "GIN", "GLP", "GMB", "GNB", "GNQ", "GRC", "GRD", "GRL", "GTM", "GUF", "GUM", "GUY", "HKG", "HMD", "HND", "HRV",
        "HTI", "HUN", "IDN", "IMN", "IND", "IOT", "IRL", "IRN", "IRQ", "ISL", "ISR", "ITA", "JAM", "JEY", "JOR", "JPN", "KAZ", "KEN", "KGZ", "KHM",
        "KIR", "KNA", "KOR", "KWT", "LAO", "LBN", "LBR", "LBY", "LCA", "LIE", "LKA", "LSO", "LTU", "LUX", "LVA", "MAC", "MAF", "MAR", "MCO", "MDA",
        "MDG", "MDV", "MEX", "MHL", "MKD", "MLI", "MLT", "MMR", "MNE", "MNG", "MNP", "MOZ", "MRT", "MSR", "MTQ", "MUS", "MWI", "MYS", "MYT", "NAM",
        "NCL", "NER", "NFK", "NGA", "NIC", "NIU", "NLD", "NOR", "NPL", "NRU", "NZL", "OMN", "PAK", "PAN", "PCN", "PER", "PHL", "PLW", "PNG", "POL",
        "PRI", "PRK", "PRT", "PRY", "PSE", "PYF", "QAT", "REU", "ROU", "RUS", "RWA", "SAU", "SDN", "SEN", "SGP", "SGS", "SHN", "SJM", "SLB", "SLE",
        "SLV", "SMR", "SOM", "SPM", "SRB", "SSD", "STP", "SUR", "SVK", "SVN", "SWE", "SWZ", "SXM", "SYC", "SYR", "TCA", "TCD", "TGO", "THA", "TJK",
        "TKL", "TKM", "TLS", "TON", "TTO", "TUN", "TUR", "TUV", "TWN", "TZA", "UGA", "UKR", "UMI", "URY", "USA", "UZB", "VAT", "VCT", "VEN", "VGB",
        "VIR", "VNM", "VUT", "WLF", "WSM", "YEM", "ZAF", "ZMB", "ZWE",
    }.ToFrozenSet(StringComparer.Ordinal);

    public static bool IsValid(string? code) => code is { Length: 3 } && Codes.Contains(code);

    /// <summary>Why <paramref name="code"/> names no state, or null.</summary>
    public static InvalidField? Problem(string? code, string field) =>
        string.IsNullOrEmpty(code) ? new InvalidField(field, "required: an ISO 3166-1 alpha-3 code, e.g. KAZ", NotIso)
        : IsValid(code) ? null
        : new InvalidField(field, $"'{code}' is not an officially assigned ISO 3166-1 alpha-3 code (e.g. KAZ)", NotIso);

    /// <summary>The code, or <see cref="InvalidFieldException"/> naming the field.</summary>
    public static string Require(string? code, string field) =>
        Problem(code, field) is { } problem ? throw new InvalidFieldException(problem.Field, problem.Description, problem.Reason) : code!;
}
