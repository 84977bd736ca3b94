using Csto.Membership.V1;
using Csto.Testing;
using Xunit;

namespace Csto.EventLog.Tests;

/// <summary>The SQLite log, with its -wal and -shm, is readable by its owner only, whoever's umask started the service.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SqliteFileModeTests
{
    const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    static async Task WriteSomethingAsync(SqliteEventStore store) =>
        await store.AppendAsync(new AppendRequest("member-KAZ", ExpectedVersion.Any, [Events.Status("KAZ", MemberStatus.Member, 1)]));

    [Fact]
    public async Task A_new_log_and_its_wal_and_shm_are_0600_and_a_new_folder_0700()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "data", "membership.db");
        await using (var store = new SqliteEventStore(path, "membership"))
        {
            await WriteSomethingAsync(store);
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(path + "-wal"));
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(path + "-shm"));
        }

        Assert.Equal(OwnerOnly | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public async Task A_world_readable_log_left_by_an_earlier_release_is_closed_again_at_open_and_keeps_its_records()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "bodies.db");
        await using (var store = new SqliteEventStore(path, "bodies"))
        {
            await WriteSomethingAsync(store);
        }

        var open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(path, open);
        await using (var store = new SqliteEventStore(path, "bodies"))
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
            Assert.Equal(1, store.HeadPosition);
        }
    }
}
