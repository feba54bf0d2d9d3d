Feature: Enterprise budgets: the tenant, its departments and its people
  An enterprise tenant splits its AI budget across departments and people. Every request is charged
  at each level that applies: the tenant-wide budget, the person's department's budget and the
  person's own plan limit, all together or not at all. The tightest level wins, and the answer says
  which level it was ("limitingLevel") and where each level stands ("levels").

  Background:
    Given a tenant on the enterprise tier

  Scenario: A department's budget stops its people even though each of them has room left
    Given the department "marketing" has a budget of 5 requests a month
    And "ana" and "bob" work in "marketing"
    And "ana" has consumed 3 "summaries"
    And "bob" has consumed 2 "summaries"
    When the back end consumes 1 "summaries" for "bob"
    Then the request is allowed: no
    And the limiting level is "department" because of "limit"
    And the department level shows 5 used of 5
    And the message severity is "error"
    And the message title is "Your team's AI budget is used up"

  Scenario: The stop is said in the person's language
    Given the department "marketing" has a budget of 1 requests a month
    And "ana" works in "marketing"
    And "ana" has consumed 1 "summaries"
    When the back end consumes 1 "summaries" for "ana" in language "es"
    Then the message title is "Se ha agotado el presupuesto de IA de tu equipo"

  Scenario: A person's own limit can be the tightest
    Given the department "marketing" has a budget of 100 requests a month
    And "ana" works in "marketing"
    And the tenant admin limits "ana" to 2 "summaries" a day
    And "ana" has consumed 2 "summaries"
    When the back end consumes 1 "summaries" for "ana"
    Then the request is allowed: no
    And the limiting level is "subject"

  Scenario: The tenant-wide budget stops everyone, in a department or not
    Normal-priority departments, and people in none, may use 90% of the tenant budget (see department_priorities.feature).

    Given the tenant has a budget of 10 requests a month
    And the department "marketing" has a budget of 100 requests a month
    And "ana" works in "marketing"
    And "ana" has consumed 5 "summaries"
    And "cy" has consumed 4 "summaries"
    When the back end consumes 1 "summaries" for "cy"
    Then the request is allowed: no
    And the limiting level is "tenant"
    When the back end consumes 1 "summaries" for "ana"
    Then the request is allowed: no
    And the limiting level is "tenant"
    And the tenant level shows 9 used of 10

  Scenario: An allowed answer names the level nearest its limit
    Given the tenant has a budget of 1000 requests a month
    And the department "marketing" has a budget of 10 requests a month
    And "ana" works in "marketing"
    When the back end consumes 8 "summaries" for "ana"
    Then the request is allowed: yes
    And the limiting level is "department"
    And the tenant level shows 8 used of 1000

  Scenario: One department degrades to a cheaper class where another blocks
    Given the department "marketing" has a budget of 1 requests a month that degrades to "drafts"
    And the department "engineering" has a budget of 1 requests a month
    And "mia" works in "marketing"
    And "eli" works in "engineering"
    And "mia" has consumed 1 "summaries"
    And "eli" has consumed 1 "summaries"
    When the back end consumes 1 "summaries" for "mia"
    Then the decision is "deny"
    And the fallback class is "drafts"
    When the back end consumes 1 "summaries" for "eli"
    Then the decision is "deny"
    And the limiting level is "department"

  Scenario: A department whose budget only warns lets its people go past it
    Given the department "research" has a budget of 1 requests a month that only warns
    And "rae" works in "research"
    And "rae" has consumed 1 "summaries"
    When the back end consumes 1 "summaries" for "rae"
    Then the decision is "warn"
    And the department level shows 2 used of 1

  Scenario: A person moving department keeps what they used, and the old department keeps what it spent
    Given the department "marketing" has a budget of 100 requests a month
    And the department "sales" has a budget of 100 requests a month
    And "ana" works in "marketing"
    And "ana" has consumed 3 "summaries"
    When "ana" moves to "sales"
    And the back end consumes 1 "summaries" for "ana"
    Then used is 4 and remaining is 9996
    And the department level shows 1 used of 100
    And the department "marketing" has spent 3 of its budget
