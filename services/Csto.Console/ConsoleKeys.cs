using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Csto.Console;

/// <summary>
/// The data-protection keys that encrypt the console's cookies (and with them the users' tokens): kept in a folder only
/// the console's user reads (0700, files 0600), so that sessions survive a restart and nobody else can open a cookie.
/// </summary>
public static class ConsoleKeys
{
    /// <summary>Console:KeysFolder, else $CSTO_DATA/console-keys, else &lt;content root&gt;/.data/console-keys.</summary>
    public static string Folder(IConfiguration config, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(environment);
        return config["Console:KeysFolder"] is { Length: > 0 } folder ? Path.GetFullPath(folder)
            : config["CSTO_DATA"] is { Length: > 0 } data ? Path.Combine(Path.GetFullPath(data), "console-keys")
            : Path.Combine(environment.ContentRootPath, ".data", "console-keys");
    }

    public static void Add(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var folder = new DirectoryInfo(Folder(builder.Configuration, builder.Environment));
        OwnerOnly.CreateFolder(folder.FullName);
        builder.Services.AddDataProtection().SetApplicationName("csto-console");
        // the keys are stored as XML without an encryptor (none exists on Linux without a certificate): the folder's mode protects them
        builder.Services.AddOptions<KeyManagementOptions>().Configure<ILoggerFactory>((o, logs) => o.XmlRepository = new OwnerOnlyXmlRepository(folder, logs));
    }

    /// <summary>The file-system repository of ASP.NET Core, with each key file made 0600 once written.</summary>
    sealed class OwnerOnlyXmlRepository(DirectoryInfo folder, ILoggerFactory logs) : IXmlRepository
    {
        readonly FileSystemXmlRepository _files = new(folder, logs);

        public IReadOnlyCollection<XElement> GetAllElements() => _files.GetAllElements();

        public void StoreElement(XElement element, string friendlyName)
        {
            _files.StoreElement(element, friendlyName);
            foreach (var file in folder.EnumerateFiles("*.xml"))
            {
                OwnerOnly.File(file.FullName);
            }
        }
    }
}

/// <summary>Files and folders that only their owner reads (no-ops on Windows, whose ACLs are another matter).</summary>
static class OwnerOnly
{
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public static void File(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
