Feature: Tenants and subjects are isolated
  Usage belongs to one subject of one tenant. The tenant comes only from the access token.

  Scenario: Another subject of the same tenant starts from zero
    Given a tenant on the free tier
    And "ana" has consumed 10 "summaries"
    When the back end checks 1 "summaries" for "bob"
    Then the decision is "allow"
    And used is 1 and remaining is 9

  Scenario: The same subject id in another tenant starts from zero
    Given a tenant on the free tier
    And another tenant on the free tier
    And "ana" has consumed 10 "summaries"
    When the other tenant's back end checks 1 "summaries" for "ana"
    Then the decision is "allow"

  Scenario: A tenant named in the body is ignored; the token's tenant is used
    Given a tenant on the free tier
    And another tenant on the free tier
    When the back end consumes 3 "summaries" for "ana" naming the other tenant in the body
    Then "ana" has used 3 "summaries"
    And "ana" of the other tenant has used 0 "summaries"

  Scenario: A token for a tenant that does not exist is refused
    When a back end of an unknown tenant checks 1 "summaries" for "ana"
    Then the answer is HTTP 403 problem "tenant-not-provisioned"
