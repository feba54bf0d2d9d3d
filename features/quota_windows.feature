Feature: Quotas reset at midnight in the tenant's time zone
  Daily cells reset at 00:00, weekly on Monday, monthly on the 1st, in the tenant's own zone.

  Scenario Outline: Usage resets when the tenant's window ends
    Given a tenant on the <tier> tier in time zone "<zone>"
    And the time is "<before>"
    And "ana" has consumed <quantity> "<class>"
    When the time is "<after>"
    And the back end checks 1 "<class>" for "ana"
    Then used is 1 and remaining is <remaining>
    And the quota resets at "<next reset>"

    Examples:
      | tier | zone             | class         | quantity | before               | after                | remaining | next reset           |
      | free | Europe/Madrid    | summaries     | 10       | 2026-11-22T22:59:59Z | 2026-11-22T23:00:00Z | 9         | 2026-11-23T23:00:00Z |
      | free | America/New_York | summaries     | 10       | 2026-03-08T04:59:00Z | 2026-03-08T05:00:00Z | 9         | 2026-03-09T04:00:00Z |
      | free | Asia/Tokyo       | deep_research | 3        | 2026-11-22T14:59:59Z | 2026-11-22T15:00:00Z | 2         | 2026-11-29T15:00:00Z |
      | pro  | Australia/Sydney | deep_research | 50       | 2026-11-30T12:59:59Z | 2026-11-30T13:00:00Z | 49        | 2026-12-31T13:00:00Z |

  Scenario: Usage stays within the window until it ends
    Given a tenant on the free tier in time zone "Europe/Madrid"
    And the time is "2026-11-22T10:00:00Z"
    And "ana" has consumed 10 "summaries"
    When the time is "2026-11-22T22:59:59Z"
    And the back end checks 1 "summaries" for "ana"
    Then the decision is "deny"
