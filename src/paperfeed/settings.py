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
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; default SQLite in data_dir.",
    )
    batch_size: int = Field(default=5000, ge=1, description="Records per ingest transaction.")
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
    hybrid_keyword_weight: float = Field(default=1.0, ge=0, description="RRF weight of keyword.")
    hybrid_semantic_weight: float = Field(default=1.0, ge=0, description="RRF weight of semantic.")
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
