Feature: Bad input is a clear 400 and changes nothing
  Every malformed or invalid request gets an RFC 9457 problem naming the field; nothing is recorded.

  Scenario Outline: Invalid consume bodies are refused
    Given a tenant on the free tier
    When the back end sends the consume body <body>
    Then the answer is HTTP 400 problem "<problem>" naming "<field>"
    And nothing is recorded for the tenant

    Examples:
      | body                                                                     | problem        | field          |
      | {"operationClass":"summaries","idempotencyKey":"k"}                      | validation     | subjectId      |
      | {"subjectId":"ana","operationClass":"nope","idempotencyKey":"k"}         | validation     | operationClass |
      | {"subjectId":"ana","operationClass":"summaries","quantity":0,"idempotencyKey":"k"}  | validation | quantity  |
      | {"subjectId":"ana","operationClass":"summaries","quantity":-1,"idempotencyKey":"k"} | validation | quantity  |
      | {"subjectId":"ana","operationClass":"summaries","quantity":99999999999,"idempotencyKey":"k"} | validation | quantity |
      | {"subjectId":"ana","operationClass":"summaries","quantity":2.5,"idempotencyKey":"k"} | malformed-body | quantity |
      | {"subjectId":"ana","operationClass":"summaries"}                         | validation     | idempotencyKey |
      | {"subjectId":"ana",                                                      | malformed-body | body           |
