Feature: Honest quota copy on the way to the wall
  Every answer near a limit carries a message the product shows as it is: a nudge before the wall,
  a warning at the soft limit, a final warning, then the stop. The stop names the class in the user's
  words and language, says when it resets (relatively, and in full in the tenant's time zone) and what
  the next tier gives. Each over-quota action says what happens now: blocked, the cheaper class that
  still works, what is billed, or that the limit is only a guideline. The words are in templates/.

  Background:
    Given a tenant on the free tier in time zone "Europe/Madrid"
    And the time is "2026-11-30T22:44:00Z"

  Scenario: A free user is nudged, warned, warned again, then stopped
    When "ana" consumes "summaries" 11 times
    Then the messages were:
      | request | severity | title                            |
      | 6       | none     |                                  |
      | 7       | info     | 3 summaries left today           |
      | 8       | warning  | Only 2 summaries left today      |
      | 9       | warning  | Almost out: 1 summary left today |
      | 10      | error    | That was your last summary today |
      | 11      | error    | You're out of summaries today    |
    And the message body is "You've used all 10 summaries in your Free plan. More arrive in 16 minutes (Tuesday, December 1 at 12:00 AM, Europe/Madrid). Pro gives you 200 summaries a day."
    And the message offers "Upgrade to Pro"

  Scenario: The stop in Spanish
    Given "ana" has consumed 10 "summaries"
    When the back end checks 1 "summaries" for "ana" in language "es-ES,es;q=0.9"
    Then the message title is "Te has quedado sin resúmenes hoy"
    And the message body is "Has usado los 10 resúmenes de tu plan Gratis. Tendrás más en 16 minutos (martes 1 de diciembre a las 0:00, Europe/Madrid). Pro te da 200 resúmenes al día."
    And the message offers "Pasar a Pro"

  Scenario Outline: Each stage in both languages
    Given "ana" has consumed <before> "summaries"
    When the back end checks 1 "summaries" for "ana" in language "<language>"
    Then the message severity is "<severity>"
    And the message title is "<title>"

    Examples:
      | language | before | severity | title                              |
      | en       | 6      | info     | 3 summaries left today             |
      | es       | 6      | info     | Te quedan 3 resúmenes hoy          |
      | en       | 7      | warning  | Only 2 summaries left today        |
      | es       | 7      | warning  | Solo te quedan 2 resúmenes hoy     |
      | en       | 8      | warning  | Almost out: 1 summary left today   |
      | es       | 8      | warning  | Casi sin resúmenes: te queda 1 hoy |
      | en       | 9      | error    | That was your last summary today   |
      | es       | 9      | error    | Ese fue tu último resumen hoy      |

  Scenario Outline: Each over-quota action says what happens at the wall
    Given the tenant is on the <tier> tier
    And "ana" has consumed <before> "<class>"
    When the back end consumes <quantity> "<class>" for "ana" in language "<language>"
    Then the decision is "<decision>"
    And the message severity is "<severity>"
    And the message title is "<title>"

    Examples:
      | tier | class               | before | quantity | language | decision | severity | title                                                        |
      | free | summaries           | 10     | 1        | en       | deny     | error    | You're out of summaries today                                |
      | free | drafts              | 20     | 1        | en       | deny     | error    | Drafts are used up; summaries still work                     |
      | free | drafts              | 20     | 1        | es       | deny     | error    | Se agotaron tus borradores; los resúmenes siguen disponibles |
      | pro  | drafts              | 400    | 3        | en       | overage  | warning  | You're past the 400 drafts in your plan                      |
      | pro  | drafts              | 400    | 3        | es       | overage  | warning  | Has superado los 400 borradores de tu plan                   |
      | free | background_indexing | 100    | 5        | en       | warn     | warning  | You've reached the suggested 100 indexed documents a month   |
      | free | background_indexing | 100    | 5        | es       | warn     | warning  | Has llegado a los 100 documentos indexados recomendados al mes |

  Scenario: Overage says what this request bills
    Given the tenant is on the pro tier
    And "ana" has consumed 398 "drafts"
    When the back end consumes 5 "drafts" for "ana"
    Then the billable quantity is 3
    And the message body starts with "3 drafts of this request are billed as overage. Your Pro plan includes 400 drafts a day;"
    And the message offers "Compare plans"

  Scenario: The top tier is offered no upgrade
    Given the tenant is on the enterprise tier
    And "ana" has consumed 8500 "summaries"
    When the back end checks 1 "summaries" for "ana"
    Then the message severity is "warning"
    And the message offers no upgrade

  Scenario: Numbers follow the language
    Given the tenant is on the team tier
    And "ana" has consumed 2000 "drafts"
    When the back end consumes 3 "drafts" for "ana" in language "es"
    Then the message body ends with "Empresa incluye 20.000 al día."
