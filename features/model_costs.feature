Feature: Dollar budgets are charged what the model's price says the tokens cost
  Budgets can be kept in dollars. A request names the model it used and its input and output
  tokens; the price table in version control (config/prices.yaml) says what a million tokens of
  each cost from which day. The cost is exact, rounded up once to a millionth of a dollar.

  Background:
    Given a tenant on the enterprise tier
    And the department "marketing" has a budget of 0.05 dollars a month
    And "ana" works in "marketing"

  Scenario: A call is charged at the price of its day
    Given the time is "2026-12-10T12:00:00Z"
    When the back end consumes "summaries" for "ana" with model "gpt-large", 10000 input and 1000 output tokens
    Then the call cost 0.028 dollars
    And the department level shows 0.028 used of 0.05

  Scenario: Before a price change the old price applies
    Given the time is "2026-11-30T12:00:00Z"
    When the back end consumes "summaries" for "ana" with model "gpt-large", 10000 input and 1000 output tokens
    Then the call cost 0.035 dollars

  Scenario: A call that would pass the dollar budget is refused
    Given the time is "2026-12-10T12:00:00Z"
    And the back end consumes "summaries" for "ana" with model "gpt-large", 10000 input and 1000 output tokens
    When the back end consumes "summaries" for "ana" with model "gpt-large", 10000 input and 1000 output tokens
    Then the request is allowed: no
    And the limiting level is "department"

  Scenario: An unknown model is refused
    When the back end consumes "summaries" for "ana" with model "gpt-9", 10 input and 10 output tokens
    Then the answer is HTTP 400 problem "validation" naming "model"
