@glue
Feature: The glue runs scenarios through Reqnroll
  Test data for GlueTests only (FeatureScenarios lists features/, not this folder).
  GlueSteps binds these steps, scoped to the @glue tag.

  Background:
    Given the background has run

  Scenario: Two steps after the background
    When step "one" runs
    Then step "two" runs

  Scenario: A table and a doc string
    Given these rows:
      | name | size |
      | a    | 1    |
      | b    | 2    |
    And this text:
      """
      hello
      """

  @outline
  Scenario Outline: Row <name> becomes a case of its own
    When step "<name>" runs

    Examples:
      | name | size |
      | a    | 1    |
      | b    | 2    |
      | b    | 2    |

  Scenario: A step nobody defined
    When a step nobody defined runs
    Then step "after" runs

  Scenario: A pending step
    When a pending step runs
    Then step "after" runs

  Scenario: An ambiguous step
    When an ambiguous step runs
    Then step "after" runs

  Scenario: A failing step
    When step "one" runs
    And a step fails
    Then step "after" runs

  @ruled
  Rule: Scenarios may sit in a rule
    Background:
      Given step "rule background" runs

    Scenario: Inside a rule
      When step "in rule" runs
