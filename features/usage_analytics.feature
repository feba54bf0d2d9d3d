@worker
Feature: Usage analytics for the tenant admin
  The tenant admin sees the tenant's usage over time by class, department, person or model. The worker adds
  the usage records up into hourly and daily rollups; the analytics read the rollups, so they answer quickly
  however many records there are, and they equal the records once rolled up.

  Background:
    Given a tenant on the enterprise tier
    And the department "marketing" has a budget of 100 requests a month
    And "ana" works in "marketing"
    And "ana" has consumed 3 "summaries"
    And "bob" has consumed 2 "drafts"

  Scenario: Today's usage by class and by department
    When the worker rolls up the usage
    Then today's usage by class is 3 "summaries" and 2 "drafts"
    And today's usage by department is 3 "marketing" and 2 without a department
    And today's usage by person is 3 "ana" and 2 "bob"

  Scenario: Usage arriving after a rollup is in the next one, and nothing is counted twice
    Given the worker has rolled up the usage
    When the back end consumes 4 "summaries" for "ana"
    And the worker rolls up the usage
    And the worker rolls up the usage
    Then today's usage by class is 7 "summaries" and 2 "drafts"
    And today's usage by person is 7 "ana" and 2 "bob"
