using System.Text.Json;

namespace TenantQuota.Client;

/// <summary>A consume allowed by a fail-open class while TenantQuota could not be reached, with the key it was made with.</summary>
public sealed record JournalEntry(QuotaRequest Request, DateTimeOffset JournaledAt);

/// <summary>
/// The consumes a fail-open class allowed during an outage, oldest first, waiting for
/// <see cref="TenantQuotaClient.ReplayJournalAsync"/> to send them again with their original idempotency keys. Bounded: at
/// most <c>capacity</c> entries and <c>perSubject</c> per subject, past which a fail-open class denies too (that is what
/// bounds an outage's over-grant). With a <c>path</c> the entries are also kept in a JSON-lines file, so a restart
/// during an outage loses none; the file belongs to one process.
/// </summary>
public sealed class OutageJournal
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _gate = new();
    private readonly List<JournalEntry> _entries = [];
    private readonly Dictionary<string, int> _perSubjectCount = new(StringComparer.Ordinal);
    private readonly int _capacity;
    private readonly int _perSubject;
    private readonly string? _path;

    public OutageJournal(int capacity, int perSubject, string? path = null)
    {
        _capacity = capacity;
        _perSubject = perSubject;
        _path = path;
        if (path is not null && File.Exists(path)) Load(path);
    }

    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>Keeps the consume unless the journal or the subject's share of it is full.</summary>
    public bool TryAdd(QuotaRequest request, DateTimeOffset at)
    {
        var entry = new JournalEntry(request, at);
        lock (_gate)
        {
            if (_entries.Count >= _capacity || _perSubjectCount.GetValueOrDefault(request.SubjectId) >= _perSubject) return false;
            if (_path is not null)
            {
                // Written through before the caller is told "allowed": an allowed consume is never only in memory.
                using var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
                file.Write(JsonSerializer.SerializeToUtf8Bytes(entry, Json));
                file.WriteByte((byte)'\n');
                file.Flush(flushToDisk: true);
            }
            Keep(entry);
            return true;
        }
    }

    /// <summary>The entries as they are now, oldest first.</summary>
    public IReadOnlyList<JournalEntry> Entries()
    {
        lock (_gate) return [.. _entries];
    }

    /// <summary>Forgets entries that were answered (or cannot be); the file is rewritten once for all of them.</summary>
    public void Remove(IReadOnlyCollection<JournalEntry> done)
    {
        if (done.Count == 0) return;
        var gone = done.ToHashSet();
        lock (_gate)
        {
            _entries.RemoveAll(gone.Contains);
            _perSubjectCount.Clear();
            foreach (var entry in _entries) Tally(entry);
            if (_path is null) return;
            var next = _path + ".next";
            File.WriteAllLines(next, _entries.Select(e => JsonSerializer.Serialize(e, Json)));
            File.Move(next, _path, overwrite: true);
        }
    }

    private void Load(string path)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            JournalEntry? entry;
            try { entry = JsonSerializer.Deserialize<JournalEntry>(line, Json); }
            catch (JsonException) { continue; } // a line torn by a crash mid-write: its caller was never told "allowed"
            if (entry?.Request.IdempotencyKey is { } key && keys.Add(key)) Keep(entry);
        }
    }

    private void Keep(JournalEntry entry)
    {
        _entries.Add(entry);
        Tally(entry);
    }

    private void Tally(JournalEntry entry) =>
        _perSubjectCount[entry.Request.SubjectId] = _perSubjectCount.GetValueOrDefault(entry.Request.SubjectId) + 1;
}
