"""A command run beside a demo (`paperfeed digest run`) keeps mail where the demo does."""

from __future__ import annotations

import json
from pathlib import Path

from paperfeed.settings import SERVED_FILE, Settings, as_served


def _served(data_dir: Path, mailbox: bool) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    served = {"listen_url": "http://127.0.0.1:8799", "mailbox": mailbox, "pid": 1}
    (data_dir / SERVED_FILE).write_text(json.dumps(served))


def test_a_demo_under_a_path_keeps_a_commands_mail_in_its_mailbox(tmp_path: Path) -> None:
    """With PAPERFEED_BASE_URL set (a demo under /papers), `digest run` beside the demo tried
    an SMTP server on port 25 and queued the digest as failing, instead of the demo mailbox."""
    _served(tmp_path, mailbox=True)
    base = "http://127.0.0.1:8798/papers"
    settings = as_served(Settings(data_dir=tmp_path, base_url=base))
    assert settings.mailbox is True
    assert settings.base_url == base and settings.listen_url in ("", None)
    plain = as_served(Settings(data_dir=tmp_path))
    assert plain.mailbox is True and plain.listen_url == "http://127.0.0.1:8799"


def test_a_server_that_sends_mail_or_an_smtp_setting_keeps_commands_sending(
    tmp_path: Path,
) -> None:
    _served(tmp_path, mailbox=False)
    assert as_served(Settings(data_dir=tmp_path, base_url="http://h/papers")).mailbox is False
    _served(tmp_path, mailbox=True)
    configured = Settings(data_dir=tmp_path, base_url="http://h/p", smtp_host="mail.example.org")
    assert configured.smtp_configured and as_served(configured).mailbox is False
