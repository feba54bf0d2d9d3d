Feature: Operators see the service in the tools they already run
  The API serves Prometheus text at /metrics to its own machine (or to a scraper holding the metrics key): every
  entitlement answer counted by endpoint, operation class and decision (request latency per route is ASP.NET Core's own
  histogram beside it, tested in the API's MetricsTests).

  Background:
    Given a tenant on the free tier
    And the operator has read the metrics

  Scenario: Every answer is counted by endpoint, class and decision
    When the back end checks 1 "summaries" for "ana"
    And the back end consumes 8 "summaries" for "ana"
    And the back end consumes 5 "summaries" for "ana"
    Then the metrics have counted 1 more "check" answer of "summaries" decided "allow"
    And the metrics have counted 1 more "consume" answer of "summaries" decided "warn"
    And the metrics have counted 1 more "consume" answer of "summaries" decided "deny"
