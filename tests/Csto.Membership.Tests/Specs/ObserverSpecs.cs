using Csto.Membership.Members;
using Csto.Membership.V1;
using static Csto.Membership.Tests.Specs.Spec;

namespace Csto.Membership.Tests.Specs;

public sealed class ObserverSpecs
{
    [Fact]
    public void An_organization_can_be_granted_observer_status() =>
        For("un").When(MemberAct.ObserverGranted, "2004-12-02", Notice("UNGA resolution 59/50"))
            .ThenStatusChanges<ObserverStatusGranted>(MemberStatus.Unspecified, MemberStatus.Observer, "2004-12-02");

    [Fact]
    public void A_member_cannot_be_an_observer() =>
        For("KAZ").GivenFoundingMember().When(MemberAct.ObserverGranted, "2014-01-01", Notice("n")).ThenRefused("ALREADY_A_MEMBER");

    [Fact]
    public void Granting_observer_status_twice_is_refused() =>
        For("SRB").Given(MemberAct.ObserverGranted, "2013-04-01", Notice("n"))
            .When(MemberAct.ObserverGranted, "2014-01-01", Notice("n2")).ThenRefused("ALREADY_OBSERVER");

    [Fact]
    public void An_observer_can_become_a_partner() =>
        For("SRB").Given(MemberAct.ObserverGranted, "2013-04-01", Notice("n"))
            .When(MemberAct.PartnerGranted, "2015-01-01", Notice("n2"))
            .ThenStatusChanges<PartnerStatusGranted>(MemberStatus.Observer, MemberStatus.Partner, "2015-01-01");

    [Fact]
    public void A_member_cannot_be_a_partner() =>
        For("KAZ").GivenFoundingMember().When(MemberAct.PartnerGranted, "2014-01-01", Notice("n")).ThenRefused("ALREADY_A_MEMBER");

    [Fact]
    public void Ending_observer_status_leaves_a_party_that_never_was_a_member_without_status() =>
        For("afg").Given(MemberAct.ObserverGranted, "2013-04-01", Notice("n"))
            .When(MemberAct.ObserverEnded, "2021-08-15", Notice("n2"))
            .ThenStatusChanges<ObserverStatusEnded>(MemberStatus.Observer, MemberStatus.Unspecified, "2021-08-15");

    [Fact]
    public void Ending_observer_status_of_a_former_member_leaves_it_withdrawn() =>
        For("AZE").Given(MemberAct.Accession, "1993-09-24", Treaty("accession")).Given(MemberAct.EntryIntoForce, "1994-04-20", Treaty("r"))
            .Given(MemberAct.TermEnd, "1999-04-20", Treaty("protocol")).Given(MemberAct.ObserverGranted, "2005-01-01", Notice("n"))
            .When(MemberAct.ObserverEnded, "2006-01-01", Notice("n2"))
            .ThenStatusChanges<ObserverStatusEnded>(MemberStatus.Observer, MemberStatus.Withdrawn, "2006-01-01");

    [Fact]
    public void Ending_a_status_the_party_does_not_have_is_refused()
    {
        For("SRB").When(MemberAct.ObserverEnded, "2014-01-01", Notice("n")).ThenRefused("NOT_AN_OBSERVER");
        For("SRB").When(MemberAct.PartnerEnded, "2014-01-01", Notice("n")).ThenRefused("NOT_A_PARTNER");
    }
}
