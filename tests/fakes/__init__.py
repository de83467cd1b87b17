"""Local fakes of the pagers the bot pages: PagerDuty Events API v2 and Opsgenie's Alert API."""
