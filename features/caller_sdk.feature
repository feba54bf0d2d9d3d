@sdk
Feature: A back end protects an endpoint with one line, and our outage does not become its outage
  A SaaS back end adds the TenantQuota.Client.AspNetCore package, configures the issuer, its client id and secret,
  and writes .RequireQuota("summaries") on an endpoint. The endpoint's handler runs while the user has quota; past
  the hard limit the back end answers 429 with the copy the user should see. When TenantQuota cannot be reached,
  each operation class does what the back end chose: fail closed refuses (503), fail open lets the user through
  and records each use later, exactly once, with the key it was made with.

  Background:
    Given a back end on the free tier whose "summaries" fail open and "deep_research" fail closed

  Scenario: The endpoint runs until the hard limit, then answers 429 with the stop the user should see
    When "ana" calls the "summaries" endpoint 10 times
    Then the "summaries" handler ran 10 times
    When "ana" calls the "summaries" endpoint
    Then the back end answers 429 with TenantQuota's copy for "ana" and "summaries"
    And the answer says when "summaries" resets and what an upgrade unlocks
    And the "summaries" handler ran 10 times

  Scenario: While TenantQuota's database is away, a fail-closed class is refused
    Given TenantQuota's database is away
    When "ana" calls the "deep_research" endpoint
    Then the back end answers 503 because TenantQuota is unavailable
    And the "deep_research" handler ran 0 times

  Scenario: While TenantQuota's database is away, a fail-open class runs and is counted once when it is back
    Given TenantQuota's database is away
    When "ana" calls the "summaries" endpoint 3 times
    Then the "summaries" handler ran 3 times
    When TenantQuota's database is back
    Then the back end's journal empties
    And TenantQuota counts 3 "summaries" for "ana"
