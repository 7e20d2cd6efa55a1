"""Planning: spec, ownership, strategy, diff, cohorts and the saved plan (pure, no AWS)."""
