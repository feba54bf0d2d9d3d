@billing
Feature: Tenants buy a higher tier through Stripe
  A tenant admin buys a higher tier in Stripe Checkout; when Stripe reports the payment, the tenant
  moves to that tier for every request. Stripe may deliver a report twice, or late and out of order:
  neither gives anyone a tier they did not pay for, nor takes away one they did.

  Background:
    Given billing runs against the local Stripe with the catalogue synced

  Scenario: A tenant admin upgrades from free to pro
    Given a tenant on the free tier
    And "ana" has consumed 10 "summaries"
    When the tenant admin starts a checkout for the pro tier
    And pays on the Stripe checkout page
    Then the tenant is on the pro tier
    When the back end checks 1 "summaries" for "ana"
    Then the decision is "allow"
    And used is 11 and remaining is 189

  Scenario: Stripe delivering the same event twice changes the tier once
    Given a tenant on the free tier
    When Stripe reports that the tenant paid for the team tier
    And Stripe delivers that report again
    Then the tenant is on the team tier
    And the tier changed once

  Scenario: A late, older subscription update does not take the tier back
    Given a tenant who pays for the pro tier
    When Stripe reports, 5 minutes after the payment, that the subscription moved to the team tier
    And Stripe reports, 1 minute after the payment but arriving last, that the subscription is on the pro tier
    Then the tenant is on the team tier

  Scenario: A cancelled subscription returns the tenant to the free tier
    Given a tenant who pays for the pro tier
    When Stripe reports that the subscription was cancelled
    Then the tenant is on the free tier

  Scenario: A failed payment keeps the tier for a week of grace
    Given a tenant who pays for the pro tier
    When Stripe reports that a payment failed
    Then the tenant is on the pro tier
    When 7 days pass without payment
    Then the tenant is on the free tier

  Scenario: Only a tier above the current one can be bought
    Given a tenant on the team tier
    When the tenant admin starts a checkout for the pro tier
    Then the answer is HTTP 400 problem "validation" naming "tier"
