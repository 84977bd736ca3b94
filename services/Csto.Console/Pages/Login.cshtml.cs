using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>Sign in with a bearer token, checked by the membership service (<see cref="ConsoleLogin.CheckAsync"/>).</summary>
[AllowAnonymous]
public sealed class LoginModel(Suite suite) : PageModel
{
    [BindProperty]
    public string? Token { get; set; }

    /// <summary>Where to go once signed in; only a path of this console is followed.</summary>
    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    /// <summary>Why the user is here: ended (the session's token expired), refused (a service refused it), out (signed out).</summary>
    [BindProperty(SupportsGet = true)]
    public string? Session { get; set; }

    public string? Error { get; private set; }

    public string? Notice => Session switch
    {
        "ended" => "Your session has ended (its token expired, or you signed out): sign in again with a new token.",
        "refused" => "The services no longer accept your token (it expired, or the deployment's key changed): you are signed out; sign in with a new token.",
        "out" => "You are signed out.",
        _ => null,
    };

    public async Task<IActionResult> OnPostAsync()
    {
        var check = await ConsoleLogin.CheckAsync(suite, Token, DateTimeOffset.UtcNow);
        if (check.Error is not null)
        {
            Error = check.Error;
            Session = null;
            return Page();
        }

        await HttpContext.SignInAsync(ConsoleLogin.Scheme, check.User!, check.Properties);
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/");
    }
}
