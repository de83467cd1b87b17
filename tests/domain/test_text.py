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


def test_real_user_mentions_and_plain_links_are_kept():
    out = safe_mrkdwn("ask <@U123|alice> in <#C42|ops>, see <https://x.io/a> & more")
    assert "<@U123|alice>" in out
    assert "<#C42|ops>" in out
    assert "<https://x.io/a>" in out
    assert "&amp; more" in out


def test_group_mentions_from_user_text_never_ping():
    out = safe_mrkdwn("page <!subteam^S42|@oncall> now")
    assert "<!subteam" not in out
    assert "&lt;!subteam^S42|@oncall&gt;" in out


def test_a_disguised_link_shows_where_it_goes():
    out = safe_mrkdwn("<https://evil.example|click here> or <https://ok.example/a|docs>")
    assert out == "click here <https://evil.example> or docs <https://ok.example/a>"
    assert "|" not in out


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
