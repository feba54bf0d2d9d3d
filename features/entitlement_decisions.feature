Feature: Entitlement decisions follow the quota matrix
  Each tier × class cell has a soft limit, a hard limit and an over-quota action.
  Below the soft limit a request is allowed; between soft and hard it is allowed with a warning;
  past the hard limit the cell's action decides: block, degrade, overage or warn.

  Scenario Outline: A consume is decided by the cell's limits and action
    Given a tenant on the <tier> tier
    And "ana" has consumed <before> "<class>"
    When the back end consumes <quantity> "<class>" for "ana"
    Then the decision is "<decision>"
    And the request is allowed: <allowed>
    And used is <used> and remaining is <remaining>
    And the state is "<state>"
    And the billable quantity is <billable>

    Examples:
      | tier | class               | before | quantity | decision | allowed | used | remaining | state      | billable |
      | free | summaries           | 0      | 1        | allow    | yes     | 1    | 9         | ok         | 0        |
      | free | summaries           | 6      | 1        | allow    | yes     | 7    | 3         | ok         | 0        |
      | free | summaries           | 7      | 1        | warn     | yes     | 8    | 2         | soft_limit | 0        |
      | free | summaries           | 9      | 1        | warn     | yes     | 10   | 0         | hard_limit | 0        |
      | free | summaries           | 10     | 1        | deny     | no      | 10   | 0         | hard_limit | 0        |
      | free | summaries           | 8      | 3        | deny     | no      | 8    | 2         | soft_limit | 0        |
      | free | drafts              | 20     | 1        | deny     | no      | 20   | 0         | hard_limit | 0        |
      | free | background_indexing | 100    | 5        | warn     | yes     | 105  | 0         | hard_limit | 0        |
      | pro  | deep_research       | 49     | 3        | overage  | yes     | 52   | 0         | hard_limit | 2        |
      | pro  | deep_research       | 60     | 4        | overage  | yes     | 64   | 0         | hard_limit | 4        |
      | pro  | background_indexing | 5000   | 1        | deny     | no      | 5000 | 0         | hard_limit | 0        |

  Scenario: A degrade cell names the cheaper class to use instead
    Given a tenant on the free tier
    And "ana" has consumed 20 "drafts"
    When the back end consumes 1 "drafts" for "ana"
    Then the decision is "deny"
    And the fallback class is "summaries"
    And nothing more is recorded for "ana" in "drafts"

  Scenario: A check answers like a consume but records nothing
    Given a tenant on the free tier
    And "ana" has consumed 7 "summaries"
    When the back end checks 1 "summaries" for "ana"
    And the back end checks 1 "summaries" for "ana"
    Then the decision is "warn"
    And used is 8 and remaining is 2
    And "ana" has used 7 "summaries"

  Scenario: A request bigger than what is left says how much is left, not that all is used
    Given a tenant on the free tier
    And "ana" has consumed 6 "summaries"
    When the back end checks 5 "summaries" for "ana"
    Then the decision is "deny"
    And used is 6 and remaining is 4
    And the state is "ok"
    And the message title is "Not enough summaries left for this"
