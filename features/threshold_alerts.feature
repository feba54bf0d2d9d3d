@worker
Feature: Threshold alerts reach the tenant's webhook before the wall
  A tenant admin sets alert thresholds on a budget ("tell us at 50 % and at 100 %") and registers a webhook
  endpoint. The worker watches the budgets: each threshold crossed raises one alert in its period, delivered
  to the endpoint signed with its secret; a raised limit or a new period that brings usage back under a
  threshold raises a "recovered" alert.

  Background:
    Given a tenant on the enterprise tier
    And the department "marketing" has a budget of 10 requests a month with alerts at 0.5 and 1.0
    And "ana" works in "marketing"
    And the tenant admin has a webhook endpoint for "alert.*"

  Scenario: Crossing a threshold raises one alert, delivered signed
    Given "ana" has consumed 4 "summaries"
    And the worker has looked at the budgets
    When the back end consumes 1 "summaries" for "ana"
    And the worker looks at the budgets
    And the worker looks at the budgets
    Then the webhook has received 1 alert
    And the webhook received "alert.threshold_crossed" for the department "marketing" at 0.5 with 5 used of 10

  Scenario: Each threshold raises its own alert once
    Given "ana" has consumed 10 "summaries"
    When the worker looks at the budgets
    And the worker looks at the budgets
    Then the webhook has received 2 alerts
    And the webhook received "alert.threshold_crossed" for the department "marketing" at 0.5 with 10 used of 10
    And the webhook received "alert.threshold_crossed" for the department "marketing" at 1.0 with 10 used of 10

  Scenario: A raised limit brings usage back under a threshold
    Given "ana" has consumed 10 "summaries"
    And the worker has looked at the budgets
    When the tenant admin raises the budget of "marketing" to 15 requests a month
    And the worker looks at the budgets
    Then the webhook has received 3 alerts
    And the webhook received "alert.recovered" for the department "marketing" at 1.0 with 10 used of 15
    And the alert list shows the same 3 events, newest first

  Scenario: A person reaching a share of their own plan limit raises a person-level alert
    Given the tenant admin alerts at 0.5 of each person's "summaries" limit
    And "bob" has consumed 5000 "summaries"
    When the worker looks at the budgets
    And the worker looks at the budgets
    Then the webhook has received 1 alert
    And the webhook received "alert.threshold_crossed" for the person "bob" at 0.5
