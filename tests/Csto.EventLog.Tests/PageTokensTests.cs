using Csto.Kernel;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>Page tokens are signed: a token continues only the query that gave it, and an edited one is refused naming page_token.</summary>
public sealed class PageTokensTests
{
    [Fact]
    public void A_token_gives_back_the_key_of_its_query()
    {
        var token = PageTokens.Next("members|2013", "ARM");

        Assert.Equal("ARM", PageTokens.After(token, "members|2013"));
        Assert.Equal("", PageTokens.After("", "members|2013"));
    }

    [Fact]
    public void A_token_of_another_query_is_refused_naming_page_token()
    {
        var token = PageTokens.Next("members|2013", "ARM");

        var refused = Assert.Throws<InvalidFieldException>(() => PageTokens.After(token, "members|2014"));

        Assert.Equal("page_token", ((InvalidField)refused.Violation).Field);
    }

    [Theory]
    [InlineData("-5")]
    [InlineData("99999999999999999999")]
    [InlineData("abc")]
    public void A_token_whose_key_was_edited_by_hand_is_refused_because_its_signature_no_longer_matches(string key)
    {
        var token = PageTokens.Next("decisions|csc", "12");
        var tag = token[(token.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var edited = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("decisions|csc\n" + key)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + "." + tag;

        var refused = Assert.Throws<InvalidFieldException>(() => PageTokens.After(edited, "decisions|csc"));

        Assert.Contains("signature", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("bm90IGEgdG9rZW4=")]
    [InlineData(".")]
    [InlineData("YQ.")]
    [InlineData("YQ.!!!")]
    [InlineData("ZGVjaXNpb25zfGNzYwoxMg")] // the unsigned format of before: query and key without a tag
    public void Bytes_that_are_not_a_token_are_refused_naming_page_token(string token)
    {
        var refused = Assert.Throws<InvalidFieldException>(() => PageTokens.After(token, "decisions|csc"));

        Assert.Equal("page_token", ((InvalidField)refused.Violation).Field);
    }

    [Fact]
    public void Every_bit_flipped_anywhere_in_a_token_is_refused()
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var token = PageTokens.Next("events|1|", "500");
        var tried = 0;
        for (var i = 0; i < token.Length; i++)
        {
            if (token[i] == '.')
            {
                continue;
            }

            // the highest of the character's six bits: never one of the unused low bits of a final character
            var edited = token[..i] + Alphabet[Alphabet.IndexOf(token[i], StringComparison.Ordinal) ^ 32] + token[(i + 1)..];
            Assert.Throws<InvalidFieldException>(() => PageTokens.After(edited, "events|1|"));
            tried++;
        }

        Assert.True(tried > 30, $"{tried} characters tried");
    }
}
