"""Running a plan against the account: apply, gates, soak, rollback, status."""
