"""The local sandbox: a Slack-compatible workspace served by the bot's own server, with a
web page to use it, so the bot can be tried (and a pack clicked through) without Slack.

`sandbox.slack` is the Slack-compatible server (Web API, response_url, Socket Mode) that the
tests also run against; `sandbox.app` mounts it and the page beside the bot's routes.
"""
