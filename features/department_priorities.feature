Feature: When the tenant budget runs short, low-priority departments stop first
  Departments are high, normal or low priority. Low-priority departments may use 80% of the tenant
  budget, normal ones (and people in no department) 90%, and high-priority ones all of it. So when the
  budget runs short, low priority meets the tenant budget's over-quota action first, then normal,
  while high priority keeps working until the limit itself. The answer says why: "priority".

  Background:
    Given a tenant on the enterprise tier
    And the tenant has a budget of 10 requests a month
    And the department "labs" has priority "low"
    And the department "ops" has priority "high"
    And "lou" works in "labs"
    And "hal" works in "ops"

  Scenario: A low-priority department stops at 80% of the tenant budget
    Given "lou" has consumed 8 "summaries"
    When the back end consumes 1 "summaries" for "lou"
    Then the request is allowed: no
    And the limiting level is "tenant" because of "priority"
    And the message title is "Your organization's AI budget is nearly used up"

  Scenario: People in no department stop at 90%
    Given "cy" has consumed 9 "summaries"
    When the back end consumes 1 "summaries" for "cy"
    Then the request is allowed: no
    And the limiting level is "tenant" because of "priority"

  Scenario: A high-priority department keeps working to the limit itself
    Given "lou" has consumed 8 "summaries"
    And "hal" has consumed 1 "summaries"
    When the back end consumes 1 "summaries" for "hal"
    Then the request is allowed: yes
    When the back end consumes 1 "summaries" for "hal"
    Then the request is allowed: no
    And the limiting level is "tenant" because of "limit"
