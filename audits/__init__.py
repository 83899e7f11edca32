"""The Touchpoint Django app: organisations, checklists, visits, submissions and scores."""
