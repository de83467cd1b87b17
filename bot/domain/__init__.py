"""Pure incident logic: no Slack, no database, no network. Time is always passed in."""
