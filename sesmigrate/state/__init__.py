"""What a migration keeps between runs: journal, lock, audit trail, learned rates, cohorts."""
