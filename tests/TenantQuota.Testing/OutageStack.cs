using Npgsql;

namespace TenantQuota.Testing;

/// <summary>
/// A <see cref="DashboardStack"/> whose API reaches PostgreSQL through a <see cref="TcpProxy"/>: <see cref="TcpProxy.Cut"/>
/// is the database going away for this API (its connections dropped and new ones refused, as when the server stops),
/// without stopping the server that other tests share.
/// </summary>
public sealed class OutageStack : IAsyncDisposable
{
    private OutageStack(TcpProxy database, DashboardStack stack) => (Database, Stack) = (database, stack);

    public TcpProxy Database { get; }
    public DashboardStack Stack { get; }

    public static async Task<OutageStack> StartAsync()
    {
        var database = new NpgsqlConnectionStringBuilder(TestDatabase.ConnectionString);
        var proxy = new TcpProxy(database.Host!, database.Port);
        database.Host = "127.0.0.1";
        database.Port = proxy.Port;
        database.Timeout = 3;
        return new OutageStack(proxy, await DashboardStack.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:TenantQuota"] = database.ConnectionString }));
    }

    public async ValueTask DisposeAsync()
    {
        await Stack.DisposeAsync();
        await Database.DisposeAsync();
    }
}
