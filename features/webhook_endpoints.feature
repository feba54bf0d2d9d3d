Feature: A tenant admin tells us where to deliver the tenant's events
  A tenant's admins register webhook endpoints: an https URL and the events it wants (alert.*, report.usage, …).
  Each endpoint gets a secret that signs its deliveries; it is shown once, when the endpoint is registered.
  An endpoint belongs to its tenant: nobody else sees it or deletes it.

  Background:
    Given a tenant on the free tier

  Scenario: A registered endpoint is listed without its secret
    When the tenant admin registers "https://hooks.example/tq" for "alert.*, report.usage"
    Then the answer shows the endpoint's secret this once
    And the tenant's webhook endpoints are "https://hooks.example/tq" for "alert.*, report.usage", without a secret

  Scenario: A plain-http URL to another machine is refused
    When the tenant admin registers "http://hooks.example/tq" for "alert.*"
    Then the answer is HTTP 400 problem "validation" naming "url"
    And the tenant has no webhook endpoints

  Scenario: A deleted endpoint is no longer listed
    Given the tenant admin has registered "https://hooks.example/tq" for "*"
    When the tenant admin deletes that endpoint
    Then the tenant has no webhook endpoints

  Scenario: Another tenant cannot delete the endpoint
    Given another tenant on the free tier
    And the tenant admin has registered "https://hooks.example/tq" for "*"
    When the other tenant's admin deletes that endpoint
    Then the answer is HTTP 404 problem "not-found"
    And the tenant's webhook endpoints are "https://hooks.example/tq" for "*", without a secret
