using System.Text.Json;

namespace TenantQuota.Client;

/// <summary>A consume allowed by a fail-open class while TenantQuota could not be reached, with the key it was made with.</summary>
public sealed record JournalEntry(QuotaRequest Request, DateTimeOffset JournaledAt);

/// <summary>
/// The consumes a fail-open class allowed during an outage, oldest first, waiting for
/// <see cref="TenantQuotaClient.ReplayJournalAsync"/> to send them again with their original idempotency keys. Bounded: at
/// most <c>capacity</c> entries and <c>perSubject</c> per subject, past which a fail-open class denies too (that is what
/// bounds an outage's over-grant). With a <c>path</c> the entries are also kept in a JSON-lines file, each written
/// (unbuffered) and flushed to disk before its caller is told "allowed", so a restart during an outage loses none. The
/// file belongs to one process (a <c>.lock</c> file beside it is held while the journal lives) and is opened, its folder
/// created, when the journal is: a bad path fails at start, not during an outage.
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
    private readonly FileStream? _ownership;
    private FileStream? _file; // null with a path: the file could not be (re)opened, and nothing more is allowed
    private long _written;      // the file's length after the last whole line

    public OutageJournal(int capacity, int perSubject, string? path = null)
    {
        _capacity = capacity;
        _perSubject = perSubject;
        _path = path is null ? null : Path.GetFullPath(path);
        if (_path is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _ownership = new FileStream(_path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        if (File.Exists(_path)) Load(_path);
        // Rewritten whole at start: a line torn by a crash is gone before anything is appended after it.
        Rewrite();
        if (_file is null) throw new IOException($"The journal file {_path} could not be written.");
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
        lock (_gate)
        {
            if (request.IdempotencyKey is { } key && _keys.Contains(key)) return true;
            if (Full(request.SubjectId, at)) return false;
            return Append(new JournalEntry(request, at));
        }
    }

    /// <summary>A fail-open reservation: takes its share of the bounds until committed, released or expired. A key already held is held once.</summary>
    internal bool TryHold(QuotaRequest request, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        lock (_gate)
        {
            PruneHolds(now);
            if (_holds.ContainsKey(request.IdempotencyKey!)) return true;
            if (Full(request.SubjectId, now)) return false;
            _holds[request.IdempotencyKey!] = (request, expiresAt);
            _perSubjectCount[request.SubjectId] = _perSubjectCount.GetValueOrDefault(request.SubjectId) + 1;
            return true;
        }
    }

    /// <summary>What became of a hold's commit.</summary>
    internal enum HoldCommit { Journaled, NotHeld, NotWritten }

    /// <summary>
    /// The hold's commit: the consume <paramref name="toConsume"/> makes of it becomes an entry, in the share the hold
    /// took. NotHeld: no such hold (released, expired, or held by another process). NotWritten: the file refused it;
    /// the hold stays, so the commit can be tried again.
    /// </summary>
    internal HoldCommit CommitHold(string holdKey, Func<QuotaRequest, QuotaRequest> toConsume, DateTimeOffset now, out QuotaRequest? consume)
    {
        consume = null;
        lock (_gate)
        {
            PruneHolds(now);
            if (!_holds.TryGetValue(holdKey, out var hold)) return HoldCommit.NotHeld;
            var made = toConsume(hold.Request);
            if (!Append(new JournalEntry(made, now))) return HoldCommit.NotWritten;
            _holds.Remove(holdKey);
            _perSubjectCount[hold.Request.SubjectId]--; // the entry took the hold's share over (Append counted it)
            consume = made;
            return HoldCommit.Journaled;
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

    private bool Full(string subjectId, DateTimeOffset now)
    {
        PruneHolds(now);
        return _entries.Count + _holds.Count >= _capacity || _perSubjectCount.GetValueOrDefault(subjectId) >= _perSubject;
    }

    private void PruneHolds(DateTimeOffset now)
    {
        if (_holds.Count == 0) return;
        foreach (var (key, hold) in _holds.Where(h => h.Value.ExpiresAt <= now).ToList())
        {
            _holds.Remove(key);
            _perSubjectCount[hold.Request.SubjectId]--;
        }
    }

    /// <summary>
    /// Written as one unbuffered line and flushed to disk, then kept; false when the file could not take it (then the
    /// file is cut back to its last whole line, so a refused consume never reaches the file).
    /// </summary>
    private bool Append(JournalEntry entry)
    {
        if (_path is not null)
        {
            if (_file is null) return false;
            byte[] line = [.. JsonSerializer.SerializeToUtf8Bytes(entry, Json), (byte)'\n'];
            try
            {
                _file.Write(line);
                _file.Flush(flushToDisk: true);
                _written += line.Length;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                try { _file.SetLength(_written); _file.Seek(0, SeekOrigin.End); }
                catch (Exception again) when (again is IOException or UnauthorizedAccessException or ObjectDisposedException) { _file = null; }
                return false;
            }
        }
        Keep(entry);
        return true;
    }

    /// <summary>
    /// The file holds exactly the entries: written beside it, flushed to disk, then moved over it and the move itself
    /// flushed where the platform allows (the folder); appends go on from there. When that fails the journal allows nothing more until a later rewrite succeeds.
    /// </summary>
    private void Rewrite()
    {
        _file?.Dispose();
        _file = null;
        var next = _path + ".next";
        try
        {
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
            _file = new FileStream(_path!, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, bufferSize: 0);
            _written = _file.Seek(0, SeekOrigin.End);
            DirectorySync.TryFlush(Path.GetDirectoryName(Path.GetFullPath(_path!))!); // best effort: the move has happened
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _file = null;
        }
    }

    private void Load(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            JournalEntry? entry;
            try { entry = JsonSerializer.Deserialize<JournalEntry>(line, Json); }
            catch (JsonException) { continue; } // a line torn by a crash mid-write: its caller was never told "allowed"
            if (entry?.Request?.IdempotencyKey is { } key && entry.Request.SubjectId is not null && !_keys.Contains(key)) Keep(entry);
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
        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
            _ownership?.Dispose();
        }
    }
}
