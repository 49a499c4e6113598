"""Email digests: subscribe with double opt-in, compose personal digests, deliver over SMTP.

The names below load their modules on first use, so that a process which only assembles
messages (digest/assembly.py's workers) does not import the whole digest stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paperfeed.digest.deliver import Mailer, SmtpMailer, make_mailer
    from paperfeed.digest.schedule import (
        RunReport,
        run_due,
        run_scheduler_forever,
        send_due_forever,
    )
    from paperfeed.digest.subscribe import (
        confirm,
        request_subscription,
        unsubscribe,
        update_preferences,
    )
    from paperfeed.digest.subscriber import BadInput, Preferences, Subscriber

_WHERE = {
    "BadInput": "subscriber",
    "Mailer": "deliver",
    "Preferences": "subscriber",
    "RunReport": "schedule",
    "SmtpMailer": "deliver",
    "Subscriber": "subscriber",
    "make_mailer": "deliver",
    "confirm": "subscribe",
    "request_subscription": "subscribe",
    "run_due": "schedule",
    "run_scheduler_forever": "schedule",
    "send_due_forever": "schedule",
    "unsubscribe": "subscribe",
    "update_preferences": "subscribe",
}
__all__ = [
    "BadInput",
    "Mailer",
    "Preferences",
    "RunReport",
    "SmtpMailer",
    "Subscriber",
    "make_mailer",
    "confirm",
    "request_subscription",
    "run_due",
    "run_scheduler_forever",
    "send_due_forever",
    "unsubscribe",
    "update_preferences",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"paperfeed.digest.{_WHERE[name]}"), name)
