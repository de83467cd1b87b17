"""Pure Block Kit builders. They take data and return dicts; they never call Slack."""
