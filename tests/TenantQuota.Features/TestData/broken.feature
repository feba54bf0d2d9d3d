Feature: A file that does not parse
  Scenario: Fine so far
    Given the background has run
  | a dangling table row |
  Nonsense here
