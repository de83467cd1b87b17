"""bot.domain.evidence: what the timeline keeps of a message, and a declaration's pre-fill."""

from datetime import UTC, datetime

from bot.domain.evidence import (
    METADATA_LIMIT,
    FileLink,
    MessageLink,
    SourceMessage,
    declare_metadata,
    declared_from,
    decode_pick,
    encode_pick,
    source_message,
    timeline_text,
    title_from,
)


def test_a_message_keeps_its_exact_time_author_text_and_plain_file_links():
    message = source_message(
        "C1",
        {
            "ts": "1765000000.000100",
            "user": "U1",
            "text": "a &lt;b&gt;",
            "files": [
                {"name": "g.png", "permalink": "https://x.slack.com/files/g"},
                {"name": "evil", "permalink": "javascript:alert(1)"},
            ],
        },
    )
    assert message.posted_at == datetime(2025, 12, 6, 5, 46, 40, 100, tzinfo=UTC)
    assert (message.author, message.text) == ("U1", "a <b>")
    assert message.files == (FileLink("g.png", "https://x.slack.com/files/g"),)
    assert timeline_text(message, "https://p") == (
        "a <b> · <https://p> · 📎 g.png <https://x.slack.com/files/g>"
    )


def test_title_is_the_first_line_without_markup():
    text = "\n  *Refunds* run <https://a.example|twice> for <@U1>  \nmore"
    assert title_from(text) == "Refunds run twice for @U1"
    assert len(title_from("x" * 500)) == 100


def test_the_picker_metadata_fits_slack_and_round_trips():
    message = SourceMessage("C1", "1.000002", "U1", 'é"' * 2000, (FileLink("f", "https://f"),))
    encoded = encode_pick(message, "https://hooks/r")
    assert len(encoded) <= METADATA_LIMIT
    decoded, url = decode_pick(encoded)
    assert (decoded.channel, decoded.ts, decoded.author, decoded.files) == (
        "C1",
        "1.000002",
        "U1",
        message.files,
    )
    assert message.text.startswith(decoded.text[:-1]) and url == "https://hooks/r"
    assert decode_pick("{}") is None and decode_pick("nope") is None


def test_declare_metadata_round_trips_and_ignores_other_metadata():
    link = MessageLink("C1", "1.000002", "https://p")
    assert declared_from(declare_metadata(link)) == link
    assert declared_from('{"channel_id": "C1"}') is None and declared_from("") is None
