Feature: End users see their own quota through a short-lived view token
  A SaaS back end makes a view token for one of its users and hands it to the embeddable meter in
  that user's browser. The token reads that user's usage, for at most 15 minutes, and nothing else;
  the browser lets only the tenant's own pages read it.

  Background:
    Given a tenant on the free tier
    And the tenant's pages are served from "https://app.acme.example"

  Scenario: The meter reads the user's usage, in the user's language
    Given "ana" has consumed 8 "summaries"
    When the back end makes a view token for "ana"
    And the meter reads the usage with it in language "es"
    Then the meter shows 8 of 10 "Resúmenes" used
    And the meter's message title is "Solo te quedan 2 resúmenes hoy"

  Scenario: A view token does nothing but read its user's usage
    When the back end makes a view token for "ana"
    And the view token is used to check 1 "summaries" for "ana"
    Then the answer is HTTP 401

  Scenario: A view token outlives nothing
    When the back end makes a view token for "ana" that lives 60 seconds
    And 61 seconds pass
    And the meter reads the usage with it in language "en"
    Then the answer is HTTP 401

  Scenario: Only the tenant's own pages may read the usage
    When the back end makes a view token for "ana"
    Then a page on "https://app.acme.example" may read the usage
    But a page on "https://elsewhere.example" may not

  Scenario: The tenant sees how its users meet the limits and take the offer to upgrade
    Given "ana" has consumed 10 "summaries"
    And "bob" has consumed 2 "summaries"
    When the back end makes a view token for "ana"
    And the meter reports that the "summaries" banner was shown 2 times and upgrade was clicked once
    Then the tenant's metrics for "summaries" show 1 of 2 users hit the hard limit
    And the tenant's metrics for "summaries" show an upgrade click-through of 0.5
