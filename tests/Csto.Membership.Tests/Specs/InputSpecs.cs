using Csto.EventLog;
using Csto.Common.V1;
using Csto.Membership.Members;
using static Csto.Membership.Tests.Specs.Spec;

namespace Csto.Membership.Tests.Specs;

public sealed class InputSpecs
{
    [Theory]
    [InlineData("KAS")]
    [InlineData("XAA")]
    public void A_three_letter_code_that_is_not_an_assigned_iso_code_is_invalid(string code) =>
        For(code).When(MemberAct.Signature, "1992-05-15", Treaty()).ThenInvalid("state");

    [Theory]
    [InlineData("kz")]
    [InlineData("Kaz")]
    [InlineData("KAZAKHSTAN")]
    [InlineData("")]
    public void A_malformed_state_code_is_invalid(string code) =>
        For(code).When(MemberAct.Signature, "1992-05-15", Treaty()).ThenInvalid("state");

    [Fact]
    public void An_organization_cannot_sign_the_treaty() =>
        For("un").When(MemberAct.Signature, "1992-05-15", Treaty()).ThenInvalid("state");

    [Fact]
    public void A_missing_effective_date_is_invalid() =>
        For("KAZ").When(MemberAct.Signature, null, Treaty()).ThenInvalid("effective_date");

    [Fact]
    public void A_missing_cause_is_invalid() =>
        For("KAZ").When(MemberAct.Signature, "1992-05-15", null).ThenInvalid("cause");

    [Fact]
    public void A_cause_decision_that_is_not_a_resource_name_is_invalid() =>
        For("KAZ").GivenFoundingMember().When(MemberAct.Suspension, "2000-01-01", new Cause { Decision = "csc-2000-1" }).ThenInvalid("cause.decision");

    [Fact]
    public void An_impossible_calendar_date_is_invalid()
    {
        Assert.Equal("effective_date", Assert.Throws<InvalidFieldException>(() => Dates.Optional(new Date { Year = 2023, Month = 2, Day = 29 }, "effective_date")).Violation.Field);
        Assert.Equal("effective_date", Dates.Problem(new Date { Year = 2024, Month = 13, Day = 1 }, "effective_date")?.Field);
        Assert.Equal(new DateOnly(2024, 2, 29), Dates.Optional(new Date { Year = 2024, Month = 2, Day = 29 }, "effective_date"));
        Assert.Null(Dates.Problem(new Date { Year = 2024, Month = 2, Day = 29 }, "effective_date"));
    }

    [Fact]
    public void The_csto_states_are_known_iso_codes_and_organizations_have_lowercase_ids()
    {
        foreach (var code in new[] { "ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK", "UZB", "AZE", "GEO" })
        {
            Assert.True(Parties.IsState(code), code);
        }

        Assert.Equal(Csto.Membership.V1.PartyKind.Organization, Parties.KindOf("un"));
        Assert.Equal(Csto.Membership.V1.PartyKind.Unspecified, Parties.KindOf("UN"));
    }

    [Fact]
    public void Event_ids_derived_from_a_key_are_stable_and_distinct_per_index()
    {
        Assert.Equal(EventIds.FromName("membership", "request:r1", 0), EventIds.FromName("membership", "request:r1", 0));
        Assert.NotEqual(EventIds.FromName("membership", "request:r1", 0), EventIds.FromName("membership", "request:r1", 1));
        Assert.NotEqual(EventIds.FromName("membership", "request:r1", 0), EventIds.FromName("membership", "request:r2", 0));
        Assert.True(Guid.TryParse(EventIds.FromName("membership", "request:r1", 0), out _));
    }
}
