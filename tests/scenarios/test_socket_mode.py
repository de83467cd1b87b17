"""The same bot over Socket Mode: envelopes in, acks back, the channel appears."""

from tests.harness import running_bot


async def test_declare_over_socket_mode(fake, tmp_path):
    async with running_bot(
        fake, tmp_path, slack_app_token=fake.app_token, slack_signing_secret=None
    ) as bot:
        ack = await bot.socket_command("declare sev2 Socket mode works")
        assert "envelope_id" in ack
        await fake.wait_for(
            lambda: any(
                c.name.endswith("socket-mode-works") and c.pins for c in fake.channels.values()
            )
        )
        assert fake.calls_to("apps.connections.open")
        async with bot.http.get(f"{bot.url}/healthz") as response:
            assert (await response.json())["mode"] == "socket"
        # Alerts come in over HTTP on the same server, in Socket Mode too.
        status, answer = await bot.alert("generic", {"title": "Queue stuck", "dedup_key": "q"})
        assert (status, answer["accepted"]) == (202, 1)
        incidents = fake.channel_by_name("incidents")
        await fake.wait_for(
            lambda: any("Declare incident?" in m.text for m in fake.messages(incidents.id))
        )
