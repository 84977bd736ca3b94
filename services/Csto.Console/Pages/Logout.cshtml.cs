using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Csto.Console.Pages;

/// <summary>Sign out (a POST from the form in the header, with its antiforgery token); a GET changes nothing.</summary>
[AllowAnonymous]
public sealed class LogoutModel : PageModel
{
    public IActionResult OnGet() => LocalRedirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        await ConsoleLogin.SignOutAsync(HttpContext);
        return LocalRedirect("/login?session=out");
    }
}
