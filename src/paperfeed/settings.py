"""One typed Settings for the whole program, read from the environment and `.env`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "paperfeed"


class Settings(BaseSettings):
    """Every knob paperfeed has; environment variables use the prefix `PAPERFEED_`."""

    model_config = SettingsConfigDict(env_prefix="PAPERFEED_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Directory for the SQLite file, search indexes and checkpoints.",
    )
    database_url: str | None = Field(
        default=None,
        description="Database URL, e.g. postgresql://user@host/db; default: SQLite in data_dir.",
    )
    batch_size: int = Field(default=5000, ge=1, description="Records per ingest transaction.")
    bulk_ingest_bytes: int = Field(
        default=32_000_000,
        ge=0,
        description="Snapshot/listing files this big are parsed in a second process; into a "
        "store with fewer papers than the file, indexes are rebuilt once at the end.",
    )
    oai_base_url: str = Field(
        default="https://oaipmh.arxiv.org/oai", description="arXiv OAI-PMH endpoint."
    )
    arxiv_api_url: str = Field(
        default="https://export.arxiv.org/api/query", description="arXiv search API endpoint."
    )
    request_delay: float = Field(
        default=3.0, ge=0, description="Seconds between requests to arXiv (arXiv asks for 3)."
    )
    http_timeout: float = Field(default=60.0, gt=0, description="HTTP timeout in seconds.")
    http_retries: int = Field(default=5, ge=0, description="Retries on 503/transport errors.")
    embed_model: str = Field(
        default="minilm",
        description="Embedding model: 'minilm' (default), 'static' (fast) or a model path.",
    )
    embed_on_ingest: bool = Field(
        default=False, description="Embed new papers right after each ingest run."
    )
    hybrid_keyword_weight: float = Field(
        default=0.4, ge=0, description="Hybrid weight of keyword (tuned on SciFact dev)."
    )
    hybrid_semantic_weight: float = Field(
        default=0.6, ge=0, description="Hybrid weight of semantic (tuned on SciFact dev)."
    )
    hybrid_fusion: Literal["zscore", "minmax", "rrf"] = Field(
        default="zscore",
        description="How hybrid search fuses: z-scored or min-max scores (weighted sum), or RRF.",
    )
    search_refresh_seconds: float = Field(
        default=30.0, ge=0, description="A search picks up papers changed in the store this often."
    )
    search_embed_timeout: float = Field(
        default=2.0, gt=0, description="Seconds a query embedding may take before keyword fallback."
    )
    vector_index: Literal["auto", "flat", "hnsw"] = Field(
        default="auto", description="Vector index: exact (flat), HNSW, or by size (auto)."
    )
    hnsw_threshold: int = Field(
        default=20_000, ge=0, description="With vector_index=auto, use HNSW from this many papers."
    )
    secret_key: str | None = Field(
        default=None, description="Signs cookies and email links; required outside dev mode."
    )
    dev_mode: bool = Field(default=True, description="Allow a generated secret key (local use).")
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public address used in links and emails."
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server host.")
    smtp_port: int = Field(default=25, description="SMTP server port.")
    smtp_username: str | None = Field(default=None, description="SMTP user name.")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_tls: Literal["none", "starttls", "ssl"] = Field(
        default="none", description="SMTP transport security."
    )
    mail_from: str = Field(
        default="paperfeed <paperfeed@localhost>", description="From address of emails."
    )
    # The site (web/) and the trending score (trending.py).
    trending_window_days: int = Field(
        default=7, ge=1, description="Trending considers papers from this many newest days."
    )
    trending_gravity: float = Field(
        default=1.5, ge=0, description="Trending time decay: score / (age_hours + offset)^gravity."
    )
    trending_offset_hours: float = Field(
        default=2.0, gt=0, description="Trending: hours added to a paper's age before decay."
    )
    trending_upvote_weight: float = Field(default=1.0, ge=0, description="Trending: per upvote.")
    trending_star_weight: float = Field(
        default=1.0, ge=0, description="Trending: per factor of ten GitHub stars (log10(1+stars))."
    )
    trending_code_weight: float = Field(
        default=0.5, ge=0, description="Trending: bonus for a paper with a code link."
    )
    trending_base: float = Field(
        default=1.0, gt=0, description="Trending: signal every paper starts with (recency order)."
    )
    page_size: int = Field(default=30, ge=1, le=200, description="Papers per listing page.")
    session_days: int = Field(default=30, ge=1, description="Days a sign-in lasts.")
    auth_rate_limit: int = Field(
        default=10, ge=1, description="Sign-in/sign-up attempts per client per rate window."
    )
    submit_rate_limit: int = Field(
        default=20, ge=1, description="Paper submissions per client per rate window."
    )
    rate_window_seconds: int = Field(default=600, ge=1, description="Rate-limit window length.")
    page_cache_entries: int = Field(
        default=512, ge=0, description="Rendered anonymous pages kept in memory (0 disables)."
    )
    page_cache_check_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How often cached pages check the store for changes made by other processes.",
    )

    # Email digests (digest/).
    digest_send_rate: float = Field(
        default=20.0, ge=0, description="Digest emails sent per second at most (0: no limit)."
    )
    digest_retry_delay: float = Field(
        default=60.0, ge=0, description="Seconds before the first retry of a failed send; doubles."
    )
    digest_max_attempts: int = Field(
        default=6, ge=1, description="Send attempts before a transiently failing email fails."
    )
    digest_trending_weight: float = Field(
        default=0.3, ge=0, description="Weight of trending next to personal relevance in digests."
    )
    digest_min_similarity: float = Field(
        default=0.3, ge=-1, le=1, description="Cosine similarity a paper needs to match a search."
    )
    digest_scheduler_interval: float = Field(
        default=60.0, gt=0, description="Seconds between digest schedule checks in `serve`."
    )

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL to connect to (SQLite in the data directory unless set)."""
        if self.database_url:
            return _normalise_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'paperfeed.db'}"


def _normalise_url(url: str) -> str:
    # Plain postgres URLs mean psycopg 3, the driver we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
