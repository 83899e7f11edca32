"""Every write to Touchpoint's data goes through a function here (keyword-only, typed)."""
