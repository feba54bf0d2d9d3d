Feature: Changes to a tenant's plan and access are kept in an audit log nobody can rewrite
  Who changed a tenant's tier, API clients or allowed origins, when, and from what to what, is written
  in the same moment as the change. The tenant's admins read it; the database itself refuses to change
  or delete an entry, whoever asks.

  Background:
    Given a tenant on the free tier

  Scenario: A tier change is recorded with who made it, and what it was before and after
    When the platform operator moves the tenant to the pro tier
    Then the tenant's audit log shows "tier changed" by "test-client" from tier "free" to "pro"

  Scenario: Revoking an API client is recorded
    When the tenant admin creates an API client and revokes it
    Then the tenant's audit log lists "client revoked, client created", newest first

  Scenario: An entry cannot be altered or removed
    When the platform operator moves the tenant to the pro tier
    And someone deletes the tenant's audit entries straight in the database
    Then the database refuses because the log is append-only
    And the tenant's audit log shows "tier changed" by "test-client" from tier "free" to "pro"
