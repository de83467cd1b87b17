from bot.domain.text import ELLIPSIS, clip, escape, plain, safe_mrkdwn


def test_escape_ampersand_and_brackets():
    assert escape("a & <b> c") == "a &amp; &lt;b&gt; c"


def test_special_mentions_are_neutralised():
    for special in ("<!channel>", "<!here>", "<!everyone>", "<!here|here>"):
        out = safe_mrkdwn(f"ping {special} now")
        assert "<!" not in out
        assert "&lt;!" in out


def test_slack_escaped_special_mentions_are_neutralised_too():
    assert "<!channel>" not in safe_mrkdwn("&lt;!channel&gt;")


def test_real_user_and_group_mentions_and_links_are_kept():
    text = "ask <@U123|alice> and <!subteam^S42|@oncall> see <https://x.io/a|runbook> & more"
    out = safe_mrkdwn(text)
    assert "<@U123|alice>" in out
    assert "<!subteam^S42|@oncall>" in out
    assert "<https://x.io/a|runbook>" in out
    assert "&amp; more" in out


def test_fake_mentions_typed_as_text_are_escaped():
    out = safe_mrkdwn("<@U123 <script> <javascript:alert(1)|x>")
    assert "<@U123 " not in out
    assert "<script>" not in out
    assert "<javascript" not in out


def test_clip_adds_ellipsis_and_keeps_short_text():
    assert clip("short", 10) == "short"
    clipped = clip("x" * 100, 10)
    assert len(clipped) == 10 and clipped.endswith(ELLIPSIS)


def test_clip_never_leaves_half_an_entity_or_mention():
    assert clip("abcd &amp; efgh", 7) == "abcd " + ELLIPSIS
    assert clip("hi <@U12345678> there", 10) == "hi " + ELLIPSIS


def test_plain_and_mentions():
    assert plain("<@U1|bob> fixed &lt;it&gt;") == "@U1 fixed it"
