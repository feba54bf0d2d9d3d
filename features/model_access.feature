Feature: Which models a tier, a department or a person may call
  The expensive models are where AI budgets run away. A plan tier, a department or one person can be
  limited to a list of models: a call naming another model is refused, and the answer names the model
  to use instead. A budget can also "degrade" to a cheaper model: once it is spent, the expensive
  models stop until it resets and the cheap one keeps working.

  Scenario: The free tier calls only the small models
    Given a tenant on the free tier
    When the back end consumes "summaries" for "ana" with model "gpt-large", 1000 input and 100 output tokens
    Then the request is allowed: no
    And the limiting level is "subject" because of "model"
    And the model to use instead is "gpt-small"
    And the message title is "gpt-large isn't available to you"

  Scenario: A department limited to the small model
    Given a tenant on the enterprise tier
    And the department "support" may call only "gpt-small"
    And "sam" works in "support"
    When the back end consumes "summaries" for "sam" with model "claude-deep", 1000 input and 100 output tokens
    Then the request is allowed: no
    And the limiting level is "department" because of "model"

  Scenario: Engineering has spent its budget: the expensive models stop, the cheap one goes on
    Given a tenant on the enterprise tier
    And the time is "2026-12-10T12:00:00Z"
    And the department "eng" has a budget of 0.05 dollars a month that degrades to the model "gpt-small"
    And "eli" works in "eng"
    And the back end consumes "summaries" for "eli" with model "gpt-large", 10000 input and 1000 output tokens
    When the back end consumes "summaries" for "eli" with model "gpt-large", 10000 input and 1000 output tokens
    Then the request is allowed: no
    And the limiting level is "department" because of "limit"
    And the model to use instead is "gpt-small"
    And the message body ends with "You can keep going with gpt-small meanwhile."
    When the back end consumes "summaries" for "eli" with model "gpt-small", 10000 input and 1000 output tokens
    Then the request is allowed: yes
