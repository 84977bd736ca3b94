using Csto.Membership.Members;
using Csto.Membership.V1;
using static Csto.Membership.Tests.Specs.Spec;

namespace Csto.Membership.Tests.Specs;

public sealed class WithdrawalSpecs
{
    [Fact]
    public void A_withdrawal_taking_effect_sooner_than_six_months_after_the_notice_is_refused() =>
        For("KAZ").GivenFoundingMember().When(MemberAct.WithdrawalNotice, "2020-01-15", Notice("note"), takesEffectOn: "2020-07-14")
            .ThenRefused("WITHDRAWAL_NOTICE_TOO_SHORT");

    [Fact]
    public void A_withdrawal_exactly_six_months_after_the_notice_is_accepted_and_dated_when_it_takes_effect()
    {
        var notice = For("KAZ").GivenFoundingMember().When(MemberAct.WithdrawalNotice, "2020-01-15", Notice("note"), takesEffectOn: "2020-07-15")
            .ThenStatusChanges<WithdrawalNotified>(MemberStatus.Member, MemberStatus.Withdrawn, "2020-07-15");
        Assert.Equal(D("2020-01-15").ToProto(), notice.EffectiveDate);
    }

    [Fact]
    public void After_a_notice_the_state_stays_a_member_until_the_withdrawal_takes_effect()
    {
        var spec = For("KAZ").GivenFoundingMember().Given(MemberAct.WithdrawalNotice, "2020-01-15", Notice("note"), "2020-09-01");
        Assert.Equal(MemberStatus.Member, spec.State.StatusOn(D("2020-08-31")));
        Assert.Equal(MemberStatus.Withdrawn, spec.State.StatusOn(D("2020-09-01")));
    }

    [Fact]
    public void A_withdrawal_notice_needs_the_date_it_takes_effect() =>
        For("KAZ").GivenFoundingMember().When(MemberAct.WithdrawalNotice, "2020-01-15", Notice("note")).ThenInvalid("takes_effect_on");

    [Fact]
    public void A_second_notice_while_one_is_pending_is_refused() =>
        For("KAZ").GivenFoundingMember().Given(MemberAct.WithdrawalNotice, "2020-01-15", Notice("note"), "2020-09-01")
            .When(MemberAct.WithdrawalNotice, "2020-02-01", Notice("note 2"), takesEffectOn: "2020-10-01").ThenRefused("WITHDRAWAL_ALREADY_NOTIFIED");

    [Fact]
    public void An_act_between_the_notice_and_its_effect_applies_until_the_withdrawal_takes_effect()
    {
        var spec = For("KAZ").GivenFoundingMember().Given(MemberAct.WithdrawalNotice, "2020-01-15", Notice("note"), "2020-09-01")
            .Given(MemberAct.Freeze, "2020-03-01", Notice("freeze"));
        Assert.Equal(MemberStatus.Member, spec.State.StatusOn(D("2020-02-28")));
        Assert.Equal(MemberStatus.Frozen, spec.State.StatusOn(D("2020-03-01")));
        Assert.Equal(MemberStatus.Withdrawn, spec.State.StatusOn(D("2020-09-01")));
    }

    [Fact]
    public void Acts_that_need_membership_are_refused_once_the_withdrawal_has_taken_effect() =>
        For("KAZ").GivenFoundingMember().Given(MemberAct.WithdrawalNotice, "2020-01-15", Notice("note"), "2020-09-01")
            .When(MemberAct.Freeze, "2020-09-02", Notice("freeze")).ThenRefused("NOT_A_MEMBER");

    [Fact]
    public void A_state_that_is_not_a_member_cannot_give_notice() =>
        For("SRB").When(MemberAct.WithdrawalNotice, "2020-01-15", Notice("note"), takesEffectOn: "2021-01-15").ThenRefused("NOT_A_MEMBER");
}
