Feature: Reservations for work whose cost is known only afterwards
  An LLM call's cost is known only when it ends. The back end reserves an estimate first; the hold
  counts as used for every other request, at every level, until the back end commits the actual
  amount (more or less than the estimate), releases it, or its time runs out.

  Background:
    Given a tenant on the free tier

  Scenario: A hold counts as used for everyone else
    When the back end reserves 6 "summaries" for "ana"
    Then the reservation is "held"
    When the back end checks 5 "summaries" for "ana"
    Then the decision is "deny"

  Scenario: Committing less than the estimate records the actual and frees the rest
    When the back end reserves 6 "summaries" for "ana"
    And the back end commits 2
    Then the reservation is "committed"
    And "ana" has used 2 "summaries"

  Scenario: Committing more than the estimate records the actual, even past the limit
    When the back end reserves 8 "summaries" for "ana"
    And the back end commits 12
    Then the request is allowed: yes
    And the state is "hard_limit"
    And "ana" has used 12 "summaries"

  Scenario: A second commit of the same amount answers the first answer again
    When the back end reserves 3 "summaries" for "ana"
    And the back end commits 3
    And the back end commits 3
    Then the answer is a duplicate
    And "ana" has used 3 "summaries"

  Scenario: Releasing records nothing and frees the hold
    When the back end reserves 6 "summaries" for "ana"
    And the back end releases the reservation
    Then the reservation is "released"
    And "ana" has used 0 "summaries"

  Scenario: An expired reservation frees itself and can no longer be committed
    When the back end reserves 4 "summaries" for "ana" for 60 seconds
    And 61 seconds pass
    And expired reservations are swept
    Then "ana" has used 0 "summaries"
    When the back end commits 4
    Then the answer is HTTP 409 problem "reservation-expired"

  Scenario: A hold counts against the department budget too
    Given a tenant on the enterprise tier
    And the department "marketing" has a budget of 5 requests a month
    And "ana" and "bob" work in "marketing"
    When the back end reserves 4 "summaries" for "ana"
    And the back end consumes 2 "summaries" for "bob"
    Then the request is allowed: no
    And the limiting level is "department"
