"""When digests are due, composing them into the outbox, and the run that cron or `serve` starts.

`run_due` is idempotent per period: a (subscriber, period) pair gets one outbox row, ever, and a
lease in the database keeps two runs (cron and `serve`, say) from working at the same time.
"""

from paperfeed.digest.schedule.composing import (
    _min_similarity,
    compose_window,
    stored_vectors,
)
from paperfeed.digest.schedule.lease import LOCK, run_lease
from paperfeed.digest.schedule.recording import outbox_row
from paperfeed.digest.schedule.run import (
    RunReport,
    compose_due,
    due_subscribers,
    preview,
    run_due,
    run_scheduler_forever,
    send_due_forever,
)
from paperfeed.digest.schedule.timing import (
    Late,
    announced_between,
    due_since,
    is_due,
    late_window,
    period_of,
    window,
)

__all__ = [
    "LOCK",
    "Late",
    "RunReport",
    "_min_similarity",
    "announced_between",
    "compose_due",
    "compose_window",
    "due_since",
    "due_subscribers",
    "is_due",
    "late_window",
    "outbox_row",
    "period_of",
    "preview",
    "run_due",
    "run_lease",
    "run_scheduler_forever",
    "send_due_forever",
    "stored_vectors",
    "window",
]
