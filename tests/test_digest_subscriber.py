"""Checking addresses and preferences people send (digest/subscriber.py) and signed tokens."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from paperfeed.digest.subscriber import BadInput, Preferences, normalise_email, parse_preferences
from paperfeed.digest.tokens import TokenError, make_token, make_tokens, read_token


@pytest.mark.parametrize(
    "text", ["Ada.Lovelace+papers@Example.ORG", "x@a-b.co", "o'neil@mail.example.com"]
)
def test_valid_addresses_are_kept_and_keyed_case_insensitively(text: str) -> None:
    assert normalise_email(f"  {text} ") == (text, text.lower())


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "a@b",
        "a@@b.org",
        "a b@c.org",
        "a@b.org\r\nBcc: x@y.org",
        "a@b.org\nX: y",
        "<a@b.org>",
        "Name <a@b.org>",
        "a@-b.org",
        "a@b.org,c@d.org",
        "x" * 65 + "@b.org",
        "a@" + "b" * 250 + ".org",
    ],
)
def test_invalid_addresses_are_rejected_with_a_message(text: str) -> None:
    with pytest.raises(BadInput, match="email"):
        normalise_email(text)


@given(st.text(max_size=80))
def test_no_accepted_address_can_carry_a_header(text: str) -> None:
    try:
        address, _ = normalise_email(text)
    except BadInput:
        return
    assert not any(c in address for c in '\r\n\t <>,;:"\\\0')


def test_preferences_from_form_text_and_json_lists_agree() -> None:
    form = {
        "categories": "cs.CL, cs.LG",
        "keywords": "graph networks\nspeech",
        "max_papers": "5",
        "skip_weekends": "0",
        "weekday": "friday",
        "seeds": "https://arxiv.org/abs/2104.12255v2",
    }
    json = {
        "categories": ["cs.CL", "cs.LG"],
        "keywords": ["graph networks", "speech"],
        "max_papers": 5,
        "skip_weekends": False,
        "weekday": 4,
        "seeds": ["2104.12255"],
    }
    assert parse_preferences(form) == parse_preferences(json)
    prefs = parse_preferences(json)
    assert prefs.weekday == 4 and prefs.seeds == ("2104.12255",) and not prefs.skip_weekends


def test_missing_fields_keep_the_previous_preferences() -> None:
    before = Preferences(frequency="weekly", keywords=("speech",), max_papers=3)
    assert parse_preferences({"send_time": "06:15"}, before) == Preferences(
        frequency="weekly", keywords=("speech",), max_papers=3, send_time="06:15"
    )


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"frequency": "hourly"}, "frequency"),
        ({"send_time": "25:00"}, "send_time"),
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"max_papers": "0"}, "max_papers"),
        ({"max_papers": "ten"}, "max_papers"),
        ({"categories": "not a category"}, "category"),
        ({"keywords": ["x" * 201]}, "too long"),
        ({"authors": [f"a{i}" for i in range(11)]}, "too many"),
        ({"include_trending": "maybe"}, "true or false"),
        ({"weekday": "funday"}, "weekday"),
    ],
)
def test_bad_preferences_say_what_to_fix(data: dict[str, object], words: str) -> None:
    with pytest.raises(BadInput, match=words):
        parse_preferences(data)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "frequency",
                "send_time",
                "timezone",
                "max_papers",
                "keywords",
                "categories",
                "seeds",
                "skip_weekends",
            ]
        ),
        st.one_of(st.text(max_size=30), st.integers(), st.lists(st.text(max_size=10))),
    )
)
def test_parsing_any_input_either_works_or_says_why(data: dict[str, object]) -> None:
    try:
        prefs = parse_preferences(data)
    except BadInput as exc:
        assert str(exc)
        return
    assert 1 <= prefs.max_papers <= 50 and prefs.frequency in ("daily", "weekly")


def test_tokens_are_scoped_bound_to_the_key_and_tamper_proof() -> None:
    token = make_token("secret", "unsubscribe", 7, "n1")
    assert read_token("secret", "unsubscribe", token) == (7, "n1")
    for scope in ("confirm", "manage"):
        with pytest.raises(TokenError):
            read_token("secret", scope, token)
    with pytest.raises(TokenError):
        read_token("another secret", "unsubscribe", token)
    with pytest.raises(TokenError):
        read_token(
            "secret", "unsubscribe", token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
        )


@given(
    sid=st.integers(0, 2**40),
    nonce=st.text(max_size=40),
    stamp=st.integers(0, 2**33),
    secret=st.sampled_from(["secret", "x" * 64, "é€"]),
)
def test_tokens_made_together_are_the_strings_itsdangerous_makes(
    sid: int, nonce: str, stamp: int, secret: str
) -> None:
    # make_tokens serialises the payload once and keeps each scope's key: the tokens must be
    # exactly those URLSafeTimedSerializer.dumps gives at the same second (links already out).
    scopes = ["manage", "unsubscribe", "confirm"]
    with mock.patch("time.time", return_value=stamp + 0.75):
        made = make_tokens(secret, scopes, sid, nonce)
        single = make_token(secret, "manage", sid, nonce)
        old = [
            URLSafeTimedSerializer(secret, salt=f"paperfeed.digest.{scope}").dumps([sid, nonce])
            for scope in scopes
        ]
    assert made == old
    assert single == old[0]
    with mock.patch("time.time", return_value=stamp + 5):
        assert [read_token(secret, s, t) for s, t in zip(scopes, made, strict=True)] == [
            (sid, nonce)
        ] * 3


def test_an_internationalised_domain_is_kept_as_mail_servers_take_it() -> None:
    assert normalise_email("lukasz@例え.jp") == ("lukasz@xn--r8jz45g.jp",) * 2
    assert normalise_email("Ann@Bücher.de")[1] == "ann@xn--bcher-kva.de"
    with pytest.raises(BadInput):
        normalise_email("łukasz@example.org")  # a non-ASCII mailbox name: not sent here
