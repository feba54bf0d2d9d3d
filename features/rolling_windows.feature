Feature: Rolling windows and burst allowances
  Some limits count the last N hours at every moment instead of starting again at midnight: chat on
  the free tier allows 25,000 tokens in any 5 hours ("rolling:5h"). The window moves in steps of N
  minutes (5 minutes for 5 hours), so a use stops counting between 5 hours and 5 hours 5 minutes after
  it was made: never early. A cell can also carry a burst allowance: units past the hard limit that can
  be used once per window (for rolling windows, once per fixed 5-hour period counted from 1970-01-01
  00:00 UTC). The answer says how much came from the burst and how much of it is left.

  Background:
    Given a tenant on the free tier

  Scenario: A use counts for five hours, then leaves with its five-minute step
    Given the time is "2026-12-10T10:02:00Z"
    And "ana" has consumed 20000 "chat"
    And the time is "2026-12-10T12:00:00Z"
    And "ana" has consumed 5000 "chat"
    When the time is "2026-12-10T15:04:59Z"
    And the back end checks 1 "chat" for "ana"
    Then used is 25001 and remaining is 0
    When the time is "2026-12-10T15:05:00Z"
    And the back end checks 1 "chat" for "ana"
    Then used is 5001 and remaining is 19999
    And the quota resets at "2026-12-10T20:10:00Z"

  Scenario: The burst lets a person go past the hard limit once, and says so
    Given the time is "2026-12-11T10:00:00Z"
    And "ana" has consumed 24000 "chat"
    When the back end consumes 3000 "chat" for "ana"
    Then the decision is "warn"
    And 2000 came from the burst, 3000 of it left
    When the back end consumes 3000 "chat" for "ana"
    Then the request is allowed: yes
    And 3000 came from the burst, 0 of it left
    When the back end consumes 1 "chat" for "ana"
    Then the request is allowed: no

  Scenario: The burst comes back with the next period, not as the window rolls
    Given the time is "2026-12-11T10:00:00Z"
    And "ana" has consumed 30000 "chat"
    When the time is "2026-12-11T12:30:00Z"
    And the back end consumes 1 "chat" for "ana"
    Then the request is allowed: no
    When the time is "2026-12-11T15:30:00Z"
    And the back end consumes 26000 "chat" for "ana"
    Then the request is allowed: yes
    And 1000 came from the burst, 4000 of it left
