Feature: The platform operator manages tenants
  Tenants are created with a tier and an IANA time zone; a tier change applies to the next request
  and keeps the usage already counted in the current window.

  Scenario: A tier change applies on the next request and keeps counted usage
    Given a tenant on the free tier
    And "ana" has consumed 10 "summaries"
    When the platform operator moves the tenant to the pro tier
    And the back end checks 1 "summaries" for "ana"
    Then the decision is "allow"
    And used is 11 and remaining is 189

  Scenario Outline: Bad tenant definitions are refused
    When the platform operator creates a tenant with tier "<tier>" and time zone "<zone>"
    Then the answer is HTTP 400 problem "validation" naming "<field>"

    Examples:
      | tier | zone              | field    |
      | gold | UTC               | tier     |
      | free | Mars/Olympus      | timeZone |
      | free | Eastern Standard Time | timeZone |

  Scenario: A tier change keeps the week's usage when a class moves to a monthly reset
    Given a tenant on the free tier
    And the time is "2026-11-18T09:00:00Z"
    And "ana" has consumed 3 "deep_research"
    When the platform operator moves the tenant to the pro tier
    And the back end checks 1 "deep_research" for "ana"
    Then the decision is "allow"
    And used is 4 and remaining is 46
    And the quota resets at "2026-12-01T00:00:00Z"
