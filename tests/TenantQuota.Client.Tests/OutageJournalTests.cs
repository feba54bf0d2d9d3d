namespace TenantQuota.Client.Tests;

public sealed class OutageJournalTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"tq-journal-{Guid.NewGuid():N}.jsonl");

    public void Dispose()
    {
        File.Delete(_path);
        File.Delete(_path + ".lock");
    }

    private static QuotaRequest Consume(string subject, string key) => new(subject, "summaries", IdempotencyKey: key);

    [Fact]
    public void Keeps_consumes_up_to_its_capacity_and_each_subjects_share()
    {
        var journal = new OutageJournal(capacity: 3, perSubject: 2);

        var added = new[]
        {
            journal.TryAdd(Consume("ana", "1"), At), journal.TryAdd(Consume("ana", "2"), At), journal.TryAdd(Consume("ana", "3"), At),
            journal.TryAdd(Consume("ben", "4"), At), journal.TryAdd(Consume("carla", "5"), At),
        };

        Assert.Equal([true, true, false, true, false], added);
        Assert.Equal(["1", "2", "4"], journal.Entries().Select(e => e.Request.IdempotencyKey));
    }

    [Fact]
    public void Removing_entries_frees_their_subjects_share()
    {
        var journal = new OutageJournal(capacity: 10, perSubject: 1);
        journal.TryAdd(Consume("ana", "1"), At);
        var whileFull = journal.TryAdd(Consume("ana", "2"), At);

        journal.Remove(journal.Entries());

        Assert.False(whileFull);
        Assert.True(journal.TryAdd(Consume("ana", "3"), At));
    }

    [Fact]
    public void A_journal_with_a_file_is_found_again_by_the_next_process_without_what_was_removed_or_a_torn_last_line()
    {
        var first = new OutageJournal(capacity: 10, perSubject: 10, _path);
        first.TryAdd(Consume("ana", "1") with { Quantity = 3, Tokens = new TokenCounts(10, 20) }, At);
        first.TryAdd(Consume("ben", "2"), At.AddSeconds(1));
        first.TryAdd(Consume("carla", "3"), At.AddSeconds(2));
        first.Remove([first.Entries()[1]]);
        first.Dispose();
        File.AppendAllText(_path, "{\"request\":{\"subjectId\":\"dev\",\"operati"); // the process died mid-write

        using var next = new OutageJournal(capacity: 10, perSubject: 10, _path);

        Assert.Equal(
            [new JournalEntry(Consume("ana", "1") with { Quantity = 3, Tokens = new TokenCounts(10, 20) }, At), new JournalEntry(Consume("carla", "3"), At.AddSeconds(2))],
            next.Entries());
    }

    [Fact]
    public void An_entry_appended_after_a_torn_line_is_found_by_the_next_process()
    {
        var first = new OutageJournal(capacity: 10, perSubject: 10, _path);
        first.TryAdd(Consume("ana", "1"), At);
        first.Dispose();
        File.AppendAllText(_path, "{\"request\":{\"subjectId\":\"dev\",\"operati"); // the process died mid-write

        var second = new OutageJournal(capacity: 10, perSubject: 10, _path);
        second.TryAdd(Consume("ben", "2"), At);
        second.Dispose();
        var third = new OutageJournal(capacity: 10, perSubject: 10, _path);

        Assert.Equal(["1", "2"], third.Entries().Select(e => e.Request.IdempotencyKey));
        third.Dispose();
    }

    [Fact]
    public void A_key_already_journaled_is_kept_once_and_takes_no_more_room()
    {
        var journal = new OutageJournal(capacity: 2, perSubject: 2);

        var added = new[] { journal.TryAdd(Consume("ana", "1"), At), journal.TryAdd(Consume("ana", "1"), At), journal.TryAdd(Consume("ana", "2"), At) };

        Assert.Equal([true, true, true], added);
        Assert.Equal(["1", "2"], journal.Entries().Select(e => e.Request.IdempotencyKey));
    }

    [Fact]
    public void A_journal_file_that_cannot_be_written_fails_when_the_journal_is_made()
    {
        var blocked = Path.Combine(_path, "not-a-folder-since-a-file-is-there", "journal.jsonl");
        File.WriteAllText(_path, "");

        Assert.ThrowsAny<IOException>(() => new OutageJournal(10, 10, blocked));
    }

    [Fact]
    public void A_hold_takes_its_subjects_share_until_it_expires_and_its_commit_becomes_an_entry()
    {
        var journal = new OutageJournal(capacity: 10, perSubject: 1);
        journal.TryHold(Consume("ana", "r1"), At, expiresAt: At.AddMinutes(5));
        var again = journal.TryHold(Consume("ana", "r1"), At, expiresAt: At.AddMinutes(5)); // the same reserve sent twice: held once

        var beforeExpiry = journal.TryAdd(Consume("ana", "1"), At.AddMinutes(4));
        var expiredCommit = journal.CommitHold("r1", hold => hold with { IdempotencyKey = "r1/commit" }, At.AddMinutes(6), out _);
        var afterExpiry = journal.TryAdd(Consume("ana", "2"), At.AddMinutes(6));
        journal.TryHold(Consume("ben", "r2"), At, expiresAt: At.AddMinutes(5));
        var commit = journal.CommitHold("r2", hold => hold with { IdempotencyKey = "r2/commit", Quantity = 7 }, At.AddMinutes(1), out var consume);
        var benAfterCommit = journal.TryAdd(Consume("ben", "3"), At.AddMinutes(1)); // the entry has the hold's share
        journal.ReleaseHold("r2");

        Assert.Equal((true, false, OutageJournal.HoldCommit.NotHeld, true), (again, beforeExpiry, expiredCommit, afterExpiry));
        Assert.Equal((OutageJournal.HoldCommit.Journaled, 7L, false), (commit, consume!.Quantity, benAfterCommit));
        Assert.Equal(["2", "r2/commit"], journal.Entries().Select(e => e.Request.IdempotencyKey));
    }

    [Fact]
    public void A_second_journal_on_the_same_file_is_refused_while_the_first_lives()
    {
        using var first = new OutageJournal(capacity: 10, perSubject: 10, _path);

        Assert.ThrowsAny<IOException>(() => new OutageJournal(capacity: 10, perSubject: 10, _path));
    }

    [Fact]
    public void After_its_file_is_gone_the_journal_allows_nothing_rather_than_keep_a_consume_only_in_memory()
    {
        var journal = new OutageJournal(capacity: 10, perSubject: 10, _path);
        journal.TryAdd(Consume("ana", "1"), At);
        journal.Dispose(); // as if the file had failed

        var added = journal.TryAdd(Consume("ben", "2"), At);

        Assert.False(added);
        Assert.Equal(["1"], journal.Entries().Select(e => e.Request.IdempotencyKey));
    }

    [Fact]
    public void A_folder_is_flushed_to_disk_where_the_platform_allows_and_a_folder_that_cannot_be_is_reported_not_thrown()
    {
        var flushed = DirectorySync.TryFlush(Path.GetTempPath());
        var missing = DirectorySync.TryFlush(Path.Combine(Path.GetTempPath(), $"tq-missing-{Guid.NewGuid():N}"));

        Assert.Equal(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), flushed);
        Assert.False(missing);
    }
}
