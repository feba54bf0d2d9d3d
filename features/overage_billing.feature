@billing
Feature: Overage is billed through Stripe, exactly once
  Where a tier's cell says "overage", work past the hard limit is allowed and billed: the part above
  the limit reaches Stripe as metered usage on the tenant's Stripe customer, once, however often the
  broker delivers it and whatever Stripe answers meanwhile. What cannot be billed yet waits; nothing
  is dropped.

  Background:
    Given billing runs against the local Stripe with the catalogue synced

  Scenario: The part above the limit reaches Stripe as metered usage
    Given a tenant on the pro tier with a Stripe customer
    And "ana" has consumed 398 "drafts"
    When the back end consumes 5 "drafts" for "ana"
    Then the decision is "overage"
    And the billable quantity is 3
    And Stripe has metered usage of 3 "drafts" for the tenant, reported once

  Scenario: Work within the limit is not billed
    Given a tenant on the pro tier with a Stripe customer
    When the back end consumes 400 "drafts" for "ana"
    Then the billable quantity is 0
    And nothing is waiting to be billed for the tenant

  Scenario: Stripe failing for a while delays the bill and loses nothing
    Given a tenant on the pro tier with a Stripe customer
    And "ana" has consumed 400 "drafts"
    And Stripe answers the next 3 reports of metered usage with server errors and 3 with rate limits
    When the back end consumes 4 "drafts" for "ana"
    Then Stripe has metered usage of 4 "drafts" for the tenant, reported once

  Scenario: Overage of a tenant without a Stripe customer waits for one
    Given a tenant on the pro tier
    And "ana" has consumed 400 "drafts"
    When the back end consumes 2 "drafts" for "ana"
    Then the overage waits for the tenant to have a Stripe customer
    When the tenant admin starts a checkout for the team tier
    Then Stripe has metered usage of 2 "drafts" for the tenant, reported once

  Scenario: A report Stripe refused raises an alert, and reconciliation sends it
    Given a tenant on the pro tier with a Stripe customer
    And "ana" has consumed 400 "drafts"
    And Stripe refuses the next report of metered usage
    When the back end consumes 6 "drafts" for "ana"
    Then billing health raises an alert for the refused report
    And Stripe has no metered usage for the tenant
    When reconciliation runs
    Then Stripe has metered usage of 6 "drafts" for the tenant, reported once
