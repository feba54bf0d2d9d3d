Feature: Consumes are idempotent by key
  A back end retries a consume with the same idempotency key after a timeout; the retry gets the
  first answer again and nothing is counted twice. Reusing a key for a different request is an error.

  Background:
    Given a tenant on the free tier

  Scenario: Replaying a key returns the first answer and records nothing more
    When the back end consumes 2 "summaries" for "ana" with key "order-1"
    And the back end consumes 2 "summaries" for "ana" with key "order-1"
    Then the answer is a duplicate
    And used is 2 and remaining is 8
    And "ana" has used 2 "summaries"

  Scenario: A denied consume replays as the same denial
    Given "ana" has consumed 10 "summaries"
    When the back end consumes 1 "summaries" for "ana" with key "late"
    And the back end consumes 1 "summaries" for "ana" with key "late"
    Then the answer is a duplicate
    And the decision is "deny"

  Scenario Outline: Reusing a key for a different request is a conflict
    When the back end consumes 1 "summaries" for "ana" with key "k-1"
    And the back end consumes <quantity> "<class>" for "<subject>" with key "k-1"
    Then the answer is HTTP 409 problem "idempotency-conflict"
    And "ana" has used 1 "summaries"

    Examples:
      | subject | class     | quantity |
      | bob     | summaries | 1        |
      | ana     | drafts    | 1        |
      | ana     | summaries | 3        |

  Scenario: Keys belong to one tenant
    Given another tenant on the free tier
    When the back end consumes 1 "summaries" for "ana" with key "shared"
    And the other tenant's back end consumes 1 "summaries" for "ana" with key "shared"
    Then the answer is not a duplicate
