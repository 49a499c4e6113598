"""Email digests: subscribe with double opt-in, compose personal digests, deliver over SMTP."""

from paperfeed.digest.deliver import Mailer, SmtpMailer, make_mailer
from paperfeed.digest.schedule import RunReport, run_due, run_scheduler_forever
from paperfeed.digest.subscribe import (
    confirm,
    request_subscription,
    unsubscribe,
    update_preferences,
)
from paperfeed.digest.subscriber import BadInput, Preferences, Subscriber

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
    "unsubscribe",
    "update_preferences",
]
