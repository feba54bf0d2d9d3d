@worker
Feature: A usage spike is stopped before the bill
  Every complete hour the worker compares each person's and department's use with the same hour on the 14 days
  before. An hour far above the usual (median + k × spread) that reaches the policy's minimum volume is a spike:
  it raises an "anomaly" alert and, as the tenant's policy says, only notifies, degrades the person or department
  to a cheaper class, or blocks them, until a tenant admin clears the hold. The audit log has both.

  Background:
    Given a tenant on the enterprise tier
    And the tenant admin has a webhook endpoint for "alert.*"
    And "ana" used about 5 summaries in this hour of each of the last 14 days

  Scenario: A person whose agent loops is blocked until an admin clears it
    Given the tenant blocks anyone whose summaries spike past 20 in an hour
    And "ana" used 300 summaries in the last complete hour
    And "ben" used 15 summaries in the last complete hour
    When the worker looks for spikes
    Then the webhook has received 1 alert
    And the webhook received an anomaly for the person "ana" with 300 observed, 5 expected and action "block"
    When the back end consumes 1 "summaries" for "ana"
    Then the request is allowed: no
    And the limiting level is "subject" because of "anomaly"
    When the back end consumes 1 "summaries" for "ben"
    Then the request is allowed: yes
    And the tenant's audit log shows the hold on "subject:ana" placed by "anomaly-detector"
    When the tenant admin clears the hold on the person "ana"
    And the back end consumes 1 "summaries" for "ana"
    Then the request is allowed: yes
    And the tenant's audit log shows the hold on "subject:ana" cleared by the tenant admin

  Scenario: A department that spikes is degraded to a cheaper class
    Given the department "research" has a budget of 1000 requests a month
    And "ana" works in "research"
    And the tenant degrades any department whose summaries spike past 20 in an hour to "drafts"
    And "ana" used 300 summaries in the last complete hour
    When the worker looks for spikes
    Then the webhook received an anomaly for the department "research" with 300 observed, 5 expected and action "degrade"
    When the back end consumes 1 "summaries" for "ana"
    Then the request is allowed: no
    And the limiting level is "department" because of "anomaly"
    And the fallback class is "drafts"
    When the back end consumes 1 "drafts" for "ana"
    Then the request is allowed: yes

  Scenario: A spike under notify only tells, once while it goes on
    Given the tenant is notified when anyone's summaries spike past 20 in an hour
    And "ana" used 300 summaries in each of the last 2 complete hours
    When the worker looks for spikes
    And the worker looks for spikes
    Then the webhook has received 1 alert
    And the webhook received an anomaly for the person "ana" with 300 observed, 5 expected and action "notify"
    When the back end consumes 1 "summaries" for "ana"
    Then the request is allowed: yes
