using System.Text.Json;

namespace TenantQuota.Client;

/// <summary>A consume allowed by a fail-open class while TenantQuota could not be reached, with the key it was made with.</summary>
public sealed record JournalEntry(QuotaRequest Request, DateTimeOffset JournaledAt);

/// <summary>
/// The consumes a fail-open class allowed during an outage, oldest first, waiting for
/// <see cref="TenantQuotaClient.ReplayJournalAsync"/> to send them again with their original idempotency keys. Bounded: at
/// most <c>capacity</c> entries and <c>perSubject</c> per subject, past which a fail-open class denies too (that is what
/// bounds an outage's over-grant). With a <c>path</c> the entries are also kept in a JSON-lines file, each written and
/// flushed to disk before its caller is told "allowed", so a restart during an outage loses none; the file belongs to one
/// process, and is opened (its folder created) when the journal is, so a bad path fails at start, not during an outage.
/// A fail-open reservation is a <em>hold</em> here: it takes its share of the bounds at once, is not replayed, and its
/// commit turns it into an entry (its release, or its expiry, frees the share). Holds live in memory only.
/// </summary>
public sealed class OutageJournal : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Lock _gate = new();
    private readonly List<JournalEntry> _entries = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _perSubjectCount = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (QuotaRequest Request, DateTimeOffset ExpiresAt)> _holds = new(StringComparer.Ordinal);
    private readonly int _capacity;
    private readonly int _perSubject;
    private readonly string? _path;
    private FileStream? _file;

    public OutageJournal(int capacity, int perSubject, string? path = null)
    {
        _capacity = capacity;
        _perSubject = perSubject;
        _path = path is null ? null : Path.GetFullPath(path);
        if (_path is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        if (File.Exists(_path)) Load(_path);
        // Rewritten whole at start: a line torn by a crash is gone before anything is appended after it.
        Rewrite();
    }

    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>
    /// Keeps the consume unless the journal or the subject's share of it is full, or the file cannot be written (then
    /// the consume is not allowed: an allowed consume is never only in memory when there is a file). A key already in
    /// the journal is kept once (true: it is journaled).
    /// </summary>
    internal bool TryAdd(QuotaRequest request, DateTimeOffset at)
    {
        var entry = new JournalEntry(request, at);
        lock (_gate)
        {
            if (request.IdempotencyKey is { } key && _keys.Contains(key)) return true;
            if (Full(request.SubjectId, at)) return false;
            return Append(entry);
        }
    }

    /// <summary>A fail-open reservation: takes its share of the bounds until committed, released or expired.</summary>
    internal bool TryHold(QuotaRequest request, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        lock (_gate)
        {
            if (Full(request.SubjectId, now)) return false;
            _holds[request.IdempotencyKey!] = (request, expiresAt);
            _perSubjectCount[request.SubjectId] = _perSubjectCount.GetValueOrDefault(request.SubjectId) + 1;
            return true;
        }
    }

    /// <summary>
    /// The hold's commit: the consume <paramref name="toConsume"/> makes of it becomes an entry, in the share the hold
    /// took. Null when there is no such hold (released, expired, or held by another process).
    /// </summary>
    internal QuotaRequest? CommitHold(string holdKey, Func<QuotaRequest, QuotaRequest> toConsume, DateTimeOffset now)
    {
        lock (_gate)
        {
            PruneHolds(now);
            if (!_holds.Remove(holdKey, out var hold)) return null;
            _perSubjectCount[hold.Request.SubjectId]--;
            var consume = toConsume(hold.Request);
            return Append(new JournalEntry(consume, now)) ? consume : null;
        }
    }

    /// <summary>Frees a hold's share (a release); false when there was none.</summary>
    internal bool ReleaseHold(string holdKey)
    {
        lock (_gate)
        {
            if (!_holds.Remove(holdKey, out var hold)) return false;
            _perSubjectCount[hold.Request.SubjectId]--;
            return true;
        }
    }

    private bool Full(string subjectId, DateTimeOffset now)
    {
        PruneHolds(now);
        return _entries.Count + _holds.Count >= _capacity || _perSubjectCount.GetValueOrDefault(subjectId) >= _perSubject;
    }

    private void PruneHolds(DateTimeOffset now)
    {
        foreach (var (key, hold) in _holds.Where(h => h.Value.ExpiresAt <= now).ToList())
        {
            _holds.Remove(key);
            _perSubjectCount[hold.Request.SubjectId]--;
        }
    }

    /// <summary>Written (when there is a file) and kept; false when the file could not be written.</summary>
    private bool Append(JournalEntry entry)
    {
        if (_file is not null)
        {
            try
            {
                _file.Write(JsonSerializer.SerializeToUtf8Bytes(entry, Json));
                _file.WriteByte((byte)'\n');
                _file.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                return false;
            }
        }
        Keep(entry);
        return true;
    }

    /// <summary>The entries as they are now, oldest first.</summary>
    public IReadOnlyList<JournalEntry> Entries()
    {
        lock (_gate) return [.. _entries];
    }

    /// <summary>Forgets entries that were answered (or cannot be); the file is rewritten once for all of them.</summary>
    internal void Remove(IReadOnlyCollection<JournalEntry> done)
    {
        if (done.Count == 0) return;
        var gone = done.ToHashSet();
        lock (_gate)
        {
            _entries.RemoveAll(gone.Contains);
            _keys.Clear();
            _perSubjectCount.Clear();
            foreach (var entry in _entries) Tally(entry);
            foreach (var (request, _) in _holds.Values) _perSubjectCount[request.SubjectId] = _perSubjectCount.GetValueOrDefault(request.SubjectId) + 1;
            if (_path is not null) Rewrite();
        }
    }

    /// <summary>The file holds exactly the entries: written beside it, flushed to disk, then moved over it; appends go on from there.</summary>
    private void Rewrite()
    {
        _file?.Dispose();
        var next = _path + ".next";
        using (var file = new FileStream(next, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            foreach (var entry in _entries)
            {
                file.Write(JsonSerializer.SerializeToUtf8Bytes(entry, Json));
                file.WriteByte((byte)'\n');
            }
            file.Flush(flushToDisk: true);
        }
        File.Move(next, _path!, overwrite: true);
        _file = new FileStream(_path!, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    private void Load(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            JournalEntry? entry;
            try { entry = JsonSerializer.Deserialize<JournalEntry>(line, Json); }
            catch (JsonException) { continue; } // a line torn by a crash mid-write: its caller was never told "allowed"
            if (entry?.Request.IdempotencyKey is { } key && !_keys.Contains(key)) Keep(entry);
        }
    }

    private void Keep(JournalEntry entry)
    {
        _entries.Add(entry);
        Tally(entry);
    }

    private void Tally(JournalEntry entry)
    {
        if (entry.Request.IdempotencyKey is { } key) _keys.Add(key);
        _perSubjectCount[entry.Request.SubjectId] = _perSubjectCount.GetValueOrDefault(entry.Request.SubjectId) + 1;
    }

    public void Dispose()
    {
        lock (_gate) _file?.Dispose();
    }
}
