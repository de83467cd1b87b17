"""Use cases: domain rules + storage + Slack. Services raise DomainError; they never build JSON."""
