@worker
Feature: A projected overrun is announced before the wall
  Each department's budget carries a forecast: what the period is expected to end at, from the same weekdays
  of the last two weeks. When the forecast reaches the limit before the period ends, the tenant's webhook gets
  one "projected overrun" alert with the day the limit would be hit; when the limit is raised above the
  forecast, a "recovered" alert follows.

  Background:
    Given a tenant on the enterprise tier
    And the department "marketing" used 100 requests a day for the last 14 days
    And the tenant admin has a webhook endpoint for "alert.*"

  Scenario: The pace would spend the budget before the month ends
    Given the department "marketing" has a monthly budget of 50 requests less than its pace would use this month
    When the worker looks at the budgets
    And the worker looks at the budgets
    Then the webhook has received 1 alert
    And the webhook received "alert.projected_overrun" for the department "marketing" on the last day of the month

  Scenario: A budget raised above the pace recovers
    Given the department "marketing" has a monthly budget of 50 requests less than its pace would use this month
    And the worker has looked at the budgets
    When the department "marketing" gets a monthly budget of 50 requests more than its pace would use this month
    And the worker looks at the budgets
    Then the webhook has received 2 alerts
    And the department "marketing" shows a forecast of its pace for the month, under its limit
