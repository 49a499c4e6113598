"""The daily pipeline: jobs above the features (ingest, search, digest), a scheduler, a runner."""

from paperfeed.pipeline.chains import add_papers, harvest, ingest_files, load_demo
from paperfeed.pipeline.registry import Context, Job, find_job, registry
from paperfeed.pipeline.runner import Outcome, run_job
from paperfeed.pipeline.schedule import Scheduler, current_slot, start_scheduler

__all__ = [
    "add_papers",
    "harvest",
    "ingest_files",
    "load_demo",
    "Context",
    "Job",
    "Outcome",
    "Scheduler",
    "current_slot",
    "find_job",
    "registry",
    "run_job",
    "start_scheduler",
]
