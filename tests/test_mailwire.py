"""The outbox keeps messages packed: unpacking gives back exactly the message as sent."""

from __future__ import annotations

from email import message_from_string, policy

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed import mailwire
from paperfeed.mailwire import DamagedMessage

HEAD = "From: paperfeed <p@example.org>\r\nTo: a@example.org\r\nSubject: Daily papers"
BOUNDARY = "=_pf_0123456789abcdef"


def _head(boundary: str) -> str:
    return (
        f'{HEAD}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="{boundary}"'
    )


@settings(max_examples=60, deadline=None)
@given(plain=st.text(max_size=3000), html=st.text(max_size=3000))
def test_a_packed_message_unpacks_to_the_same_bodies_and_wire(plain: str, html: str) -> None:
    bodies = (plain.encode("utf-8"), html.encode("utf-8"))
    head = _head(BOUNDARY)
    packed = mailwire.pack(head, BOUNDARY, bodies)
    assert mailwire.unpack(packed) == (head, BOUNDARY, bodies)
    sent = mailwire.unpacked_wire(packed)
    assert sent == mailwire.wire(head, BOUNDARY, bodies) and sent.isascii()
    # Every line of the wire is within RFC 5322's 78 characters; the parts decode back.
    assert all(len(line) <= 78 for line in sent.split("\r\n"))
    message = message_from_string(sent, policy=policy.default)
    parts = [p.get_payload(decode=True) for p in message.iter_parts()]
    assert parts == list(bodies)


def test_a_digest_sized_message_is_kept_in_a_fraction_of_its_wire() -> None:
    item = (
        '<tr><td style="padding:16px 24px;font-family:Arial,Helvetica,sans-serif;">'
        '<a href="https://paperfeed.example/papers/2606.{n:05d}">Paper {n} on graph networks</a>'
        "<div>Why: close to your search “graph neural networks”</div>"
        "<div>We study message passing on graphs of {n} nodes and show that …</div></td></tr>\n"
    )
    html = "".join(item.format(n=n) for n in range(12)).encode("utf-8")
    plain = "".join(f"{n}. Paper {n} on graph networks\n" for n in range(12)).encode("utf-8")
    packed = mailwire.pack(_head(BOUNDARY), BOUNDARY, (plain, html))
    assert len(packed) < 0.25 * len(mailwire.unpacked_wire(packed))


@pytest.mark.parametrize(
    "damaged",
    [
        b"not zstd at all",
        zstandard.ZstdCompressor().compress(b"PFM1 but far too short"),
        zstandard.ZstdCompressor().compress(b"XXXX" + bytes(16)),
    ],
)
def test_damaged_kept_bytes_are_refused_with_a_clear_error(damaged: bytes) -> None:
    with pytest.raises(DamagedMessage):
        mailwire.unpack(damaged)


def test_a_frame_whose_lengths_do_not_add_up_is_refused() -> None:
    packed = mailwire.pack(_head(BOUNDARY), BOUNDARY, (b"a", b"b"))
    frame = zstandard.ZstdDecompressor().decompress(packed)
    with pytest.raises(DamagedMessage, match="wrong length"):
        mailwire.unpack(zstandard.ZstdCompressor().compress(frame + b"extra"))
