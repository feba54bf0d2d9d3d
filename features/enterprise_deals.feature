Feature: An enterprise deal overrides the matrix for one tenant
  The platform operator can give one tenant other limits or another over-quota action for a class,
  whatever its tier: the deal. It applies from the tenant's next request, in every API process, and
  to no other tenant. A deal is checked like the matrix, in every tier, and refused with the reason.

  Scenario: A deal raises a tenant's daily summaries
    Given a tenant on the free tier
    When the platform operator gives the tenant 50 "summaries" a day with a soft limit of 40
    And the back end consumes 12 "summaries" for "ana"
    Then the decision is "allow"
    And used is 12 and remaining is 38

  Scenario: A deal bills deep research past the limit where the tier would degrade it
    Given a tenant on the free tier
    And "ana" has consumed 3 "deep_research"
    When the platform operator lets the tenant go past its "deep_research" limit as billed overage
    And the back end consumes 2 "deep_research" for "ana"
    Then the decision is "overage"
    And the billable quantity is 2

  Scenario: Other tenants on the same tier keep the tier's limits
    Given a tenant on the free tier
    And another tenant on the free tier
    When the platform operator gives the tenant 50 "summaries" a day with a soft limit of 40
    And the other tenant's back end checks 11 "summaries" for "ana"
    Then the decision is "deny"

  Scenario: A deal that would leave a soft limit above the hard limit in some tier is refused
    Given a tenant on the free tier
    When the platform operator tries to give the tenant 100 "summaries" a day
    Then the answer is HTTP 400 problem "validation" naming "overrides[0]"
