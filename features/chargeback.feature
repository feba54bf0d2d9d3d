Feature: Chargeback: what each person used in a month, for their departments to pay
  A tenant admin reads a month's chargeback: one row per department, person, operation class and
  model, with the quantity, tokens and dollars recorded, charged to the department the person was
  in at the time. The totals are those of the month's usage records exactly, and the month is the
  tenant's calendar month in its own time zone. Finance can download the same rows as a CSV file.

  Background:
    Given a tenant on the enterprise tier
    And the department "marketing" has a budget of 100 dollars a month
    And the department "sales" has a budget of 100 dollars a month
    And "ana" works in "marketing"
    And "bob" works in "sales"
    And the time is "2026-12-10T12:00:00Z"

  Scenario: The rows and totals are what was recorded in the month
    Given the back end consumes "chat" for "ana" with model "gpt-large", 1200 input and 300 output tokens
    And the back end consumes "chat" for "bob" with model "gpt-large", 10000 input and 1000 output tokens
    And "bob" has consumed 2 "summaries"
    When the tenant admin reads the chargeback for "2026-12"
    Then the chargeback rows are:
      | departmentId | subjectId | operationClass | model     | quantity | inputTokens | outputTokens | usd    |
      | marketing    | ana       | chat           | gpt-large | 1500     | 1200        | 300          | 0.0048 |
      | sales        | bob       | chat           | gpt-large | 11000    | 10000       | 1000         | 0.028  |
      | sales        | bob       | summaries      |           | 2        | 0           | 0            | 0      |
    And the chargeback totals are 12502 in quantity and 0.0328 dollars from 3 records

  Scenario: Finance downloads the month as a CSV file with a row per person and class
    Given "ana" has consumed 3 "summaries"
    And the back end consumes "chat" for "ana" with model "gpt-small", 1000 input and 100 output tokens
    And "bob" has consumed 1 "summaries"
    When the tenant admin downloads the chargeback for "2026-12" as CSV
    Then the download is a CSV file named for the tenant and "2026-12" that reads:
      """
      departmentId,subjectId,operationClass,model,quantity,inputTokens,outputTokens,usd
      marketing,ana,chat,gpt-small,1100,1000,100,0.00021
      marketing,ana,summaries,,3,0,0,0
      sales,bob,summaries,,1,0,0,0
      """
