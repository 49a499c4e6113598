"""One typed Settings for the whole program, read from the environment and `.env`."""

from __future__ import annotations

import json
import os
import re
from difflib import SequenceMatcher
from email.utils import parseaddr
from ipaddress import ip_network
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_URL = "http://127.0.0.1:8000"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(word: str) -> str | None:
    """A day's three letters, from its name or an abbreviation of three letters or more."""
    found = [name[:3] for name in _DAY_NAMES if len(word) >= 3 and name.startswith(word)]
    return found[0] if found else None


_SMTP_FIELDS = {"smtp_host", "smtp_port", "smtp_username", "smtp_password", "smtp_tls"}


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "paperfeed"


def _misspelt_mode(name: str) -> str | None:
    """The mode word of PAPERFEED_ACCESS_LOG_QUERIES that `name` is a slip of (redact_search,
    redact-serach, Keep), which taken as a parameter name would keep search words in the log;
    None for a plausible parameter name (no parameter of the site is near them)."""
    typed = name.lower().replace("_", "-")
    for mode in ("keep", "redact-search"):
        if typed == mode or SequenceMatcher(None, typed, mode).ratio() >= 0.75:
            return mode
    return "redact-search" if "redact" in typed else None


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
    github_api_url: str = Field(
        default="https://api.github.com", description="GitHub REST API (for `enrich`; empty: off)."
    )
    zotero_api_url: str = Field(
        default="https://api.zotero.org",
        description="Zotero's Web API, which library imports read a reader's Zotero library from "
        "(Zotero 7's desktop app answers the same at http://localhost:23119/api; empty: off).",
    )
    github_token: SecretStr | None = Field(
        default=None, description="Optional GitHub token: 5,000 requests an hour instead of 60."
    )
    hub_api_url: str = Field(
        default="https://huggingface.co", description="Hugging Face Hub (for `enrich`; empty: off)."
    )
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
        default=30.0,
        ge=0,
        description="Search indexes pick up store changes this often, in the background (0: "
        "before every search).",
    )
    search_wait_for_build: int = Field(
        default=20_000,
        ge=0,
        description="A search index built from scratch with no index to answer from meanwhile "
        "(a new node, a deleted index folder, an upgrade from keyword index schema 6 or older; "
        "others are built beside the current one, which answers) over more papers "
        "than this is built in the background: searches answer 'being rebuilt' from the papers "
        "indexed so far and a word match over the newest others until it is done; over "
        "fewer, the first search waits for it.",
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
    base_url: str | None = Field(
        default=None,
        description="Public address used in links and emails; default: where `serve` listens.",
    )
    listen_url: str | None = Field(
        default=None,
        description="Set by `serve`/`demo` to the address they listen on; links use it "
        "when base_url is not set.",
    )
    mailbox: bool = Field(
        default=False,
        description="Keep outgoing mail in a local mailbox page (/demo/mailbox) instead of "
        "sending it; `demo` turns it on when no SMTP server is set. Not for production.",
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server host.")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP server port.")
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
    trending_new_account_hours: float = Field(
        default=24.0,
        ge=0,
        description="Trending: an account younger than this many hours is new; its upvotes count "
        "with trending_new_account_vote_weight (against a wave of sign-ups voting). 0: none is.",
    )
    trending_new_account_vote_weight: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Trending: what an upvote by a new account counts, next to 1 for another's "
        "(0: nothing until the account is older). Vote counts on cards always show every vote.",
    )
    page_size: int = Field(default=30, ge=1, le=200, description="Papers per listing page.")
    for_you_warm_days: float = Field(
        default=7,
        ge=0,
        description="Once new papers are stored, each serving process trains again in the "
        "background the For you models of the readers it served in this many days, so that "
        "their first page does not (0: off; each reader's first page trains theirs).",
    )
    for_you_warm_seconds: float = Field(
        default=300,
        ge=0,
        description="Seconds at most that warming the For you models may take after each "
        "ingest, per serving process (readers seen last first; the rest train on their page).",
    )
    session_days: int = Field(default=30, ge=1, description="Days a sign-in lasts.")
    signup: Literal["open", "invite", "closed"] = Field(
        default="open",
        description="Who may make an account on the site: anyone (open), only someone with an "
        "admin's invite link (invite), or no one (closed: `paperfeed user add` only).",
    )
    invite_days: int = Field(
        default=7, ge=1, le=365, description="Days an invite link works (it works once)."
    )
    signup_email_domains: str = Field(
        default="",
        description="Comma-separated email domains (lab.example.edu,uni.example.edu): open "
        "sign-up then needs an address in one of them, and the account is made only when the "
        "link mailed to it is followed. Empty: any sign-up, an address optional.",
    )
    private: bool = Field(
        default=False,
        description="Private instance: every page, API answer and feed needs a signed-in user, "
        "a bearer token or (feeds) the reader's private feed token; nothing is indexed.",
    )
    session_idle_hours: int = Field(
        default=336,
        ge=0,
        description="Hours a sign-in (a browser's, or an API token's) lasts unused: one left "
        "idle that long must sign in again (0: none, only session_days).",
    )
    auth_rate_limit: int = Field(
        default=10,
        ge=1,
        description="Failed sign-ins per address+account, and sign-ups per address, per window.",
    )
    auth_account_rate_limit: int = Field(
        default=30, ge=1, description="Failed sign-ins per account (from anywhere) per window."
    )
    auth_address_rate_limit: int = Field(
        default=100, ge=1, description="Failed sign-ins per address (any account) per window."
    )
    account_mail_rate_limit: int = Field(
        default=3,
        ge=1,
        description="Password reset mails, and address confirmation mails, sent to one email "
        "address per hour (each kind counted apart, from every client together); more asked "
        "for are not sent, and the page answers the same.",
    )
    submit_window_days: int = Field(
        default=14,
        ge=0,
        description="Papers can be submitted only this many days after their arXiv date.",
    )
    submit_rate_limit: int = Field(
        default=20, ge=1, description="Paper submissions per client per rate window."
    )
    submit_account_rate_limit: int = Field(
        default=20,
        ge=1,
        description="Paper submissions per account per rate window, from all its addresses "
        "together.",
    )
    rate_window_seconds: int = Field(default=600, ge=1, description="Rate-limit window length.")
    comment_rate_limit: int = Field(default=30, ge=1, description="Comments per account per hour.")
    comment_address_rate_limit: int = Field(
        default=60,
        ge=1,
        description="Comments per client address per hour, all its accounts together.",
    )
    new_account_comment_limit: int = Field(
        default=5, ge=1, description="Comments per hour for accounts younger than a day."
    )
    comment_hold_links: int = Field(
        default=3,
        ge=0,
        description="A comment with more links than this waits for a moderator (only its author "
        "and moderators see it until approved); so does any comment with a link from an account "
        "younger than trending_new_account_hours.",
    )
    vote_rate_limit: int = Field(
        default=60,
        ge=1,
        description="Upvotes on papers and comments given or taken back per account per minute "
        "(each one changes every cached page).",
    )
    reaction_rate_limit: int = Field(
        default=60,
        ge=1,
        description="Reactions on comments added or taken back per account per minute.",
    )
    page_cache_entries: int = Field(
        default=512, ge=0, description="Rendered anonymous pages kept in memory (0 disables)."
    )
    page_cache_check_seconds: float = Field(
        default=1.0,
        ge=0,
        description="How often cached pages check the store for changes made by other processes.",
    )
    # Serving under load (web/): slots, queue and pool sized together so overload means fast 503s.
    web_threads: int = Field(
        default=8, ge=1, description="Requests a worker process handles at once; others queue."
    )
    web_queue: int = Field(
        default=32, ge=0, description="Requests that may wait for a slot; beyond that: 503 at once."
    )
    web_queue_timeout: float = Field(
        default=2.0, gt=0, description="Seconds a queued request waits for a slot before a 503."
    )
    db_pool_size: int = Field(
        default=0, ge=0, description="Pooled database connections per process (0: web_threads+4)."
    )
    sqlite_busy_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a SQLite write waits for another writer (then 503).",
    )
    db_pool_timeout: float = Field(
        default=3.0, gt=0, description="Seconds to wait for a pooled connection before a 503."
    )
    submit_fetch_seconds: float = Field(
        default=15.0, gt=0, description="Time a submission may take to fetch its paper from arXiv."
    )
    submit_concurrent_fetches: int = Field(
        default=2, ge=1, description="Submissions fetching from arXiv at once (others: 503)."
    )
    import_fetch_max: int = Field(
        default=20,
        ge=0,
        description="arXiv ids one library import may fetch from arXiv when not in the store.",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1, description="Largest request body accepted (413 beyond it)."
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated proxy addresses/networks whose X-Forwarded-For is believed.",
    )
    cors_origins: str = Field(
        default="",
        description="Comma-separated origins (https://app.example.org, chrome-extension://id) "
        "whose pages may call the API with a bearer token; any origin may GET the API and feeds.",
    )
    access_log: Literal["plain", "json", "off"] = Field(
        default="plain", description="One log line per request on stderr: plain, json or off."
    )
    access_log_queries: str = Field(
        default="redact-search",
        description="What the access log writes of query strings: keep, redact-search (the "
        "words searched for, q= and author=, written [redacted]; other parameters kept) or "
        "comma-separated parameter names whose values are redacted.",
    )
    access_log_addresses: Literal["full", "short"] = Field(
        default="full",
        description="Client addresses in the access log: full, or short (an IPv4 address's "
        "last octet and an IPv6 address's last 80 bits zeroed).",
    )
    privacy_url: str = Field(
        default="",
        description="Address of the operator's privacy notice (https://… or a path on this "
        "host), linked as Privacy in every page's footer; empty: no link.",
    )
    compress: bool = Field(
        default=True,
        description="Gzip pages, API answers and static files for clients that take it (false "
        "behind a proxy that compresses).",
    )

    # Email digests (digest/).
    digest_send_rate: float = Field(
        default=20.0, ge=0, description="Digest emails sent per second at most (0: no limit)."
    )
    smtp_connections: int = Field(
        default=4,
        ge=1,
        le=32,
        description="SMTP sessions that send side by side (each waits on the server's replies).",
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
    digest_min_similarity: float | None = Field(
        default=None,
        ge=-1,
        le=1,
        description="Cosine similarity a paper needs to match a search (default: the model's).",
    )
    digest_scheduler_interval: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Seconds between digest schedule checks in `serve` (with its jobs on, checks for "
            "due email to send beside them)."
        ),
    )
    outbox_keep_days: int = Field(
        default=30,
        ge=0,
        description="Days a sent email's text stays in the outbox before it is cleared (the "
        "record of which papers each reader got stays; 0: keep the texts).",
    )

    # The daily pipeline (pipeline/): harvest, fetch, enrich, embed, then digests.
    harvest_sets: str = Field(
        default="",
        description="OAI-PMH sets the daily pipeline harvests, e.g. 'cs math' (none: skip).",
    )
    hf_daily_url: str = Field(
        default="https://huggingface.co/api/daily_papers",
        description="Hugging Face daily-papers API the pipeline fetches (empty: skip).",
    )
    pipeline_time: str = Field(
        default="20:05",
        description="Local time (HH:MM) the daily pipeline starts, after arXiv's announcement.",
    )
    pipeline_timezone: str = Field(
        default="America/New_York",
        description="Time zone of pipeline_time (arXiv announces in US Eastern).",
    )
    pipeline_days: str = Field(
        default="sun,mon,tue,wed,thu",
        description="Days the pipeline runs (arXiv announces Sunday to Thursday).",
    )
    job_max_attempts: int = Field(
        default=3, ge=1, description="Attempts per job run before it fails."
    )
    job_retry_delay: float = Field(
        default=60.0, ge=0, description="Seconds before a failed job is retried; doubles each time."
    )
    digest_wait_hours: float = Field(
        default=3.0,
        ge=0,
        description=(
            "How long digests wait for a failing source, or an ingest storing papers, before"
            " going out anyway."
        ),
    )
    jobs_tick_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Seconds between checks of the job schedule (serve, worker).",
    )

    @field_validator("pipeline_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        parts = value.strip().split(":")
        if len(parts) != 2 or not all(p.isdigit() and len(p) <= 2 for p in parts):
            raise ValueError("give a time as HH:MM, e.g. 20:05")
        if int(parts[0]) > 23 or int(parts[1]) > 59:
            raise ValueError("no time of day: give HH:MM from 00:00 to 23:59")
        return f"{int(parts[0]):02d}:{int(parts[1]):02d}"

    @field_validator("pipeline_timezone")
    @classmethod
    def _time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ValueError, KeyError, ZoneInfoNotFoundError):
            raise ValueError("no time zone name, e.g. America/New_York or UTC") from None
        return value.strip()

    @field_validator("pipeline_days")
    @classmethod
    def _week_days(cls, value: str) -> str:
        # "mon tue", "Monday,Friday" and "mon,tue," read as meant; "monkey" is no day.
        words = [w.lower() for w in re.split(r"[,\s]+", value) if w]
        days = [_weekday(w) for w in words]
        if not days or None in days:
            raise ValueError(f"name days as {','.join(WEEKDAYS)}, comma-separated")
        return ",".join(dict.fromkeys(d for d in days if d))

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        if value and not re.match(r"(sqlite|postgres|postgresql)(\+\w+)?://", value.strip()):
            scheme = value.split("://", 1)[0] if "://" in value else value[:20]
            raise ValueError(
                f"{scheme!r} is no database paperfeed can use: give a postgresql:// or "
                "sqlite:/// URL (or leave it unset for SQLite in the data folder)"
            )
        return value.strip() if value else value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        # An address or network that does not parse is refused ("10.0.0.0/33"); a name is a
        # Unix socket peer's or a test client's (`doctor` says what it means for a proxy).
        for item in (i.strip() for i in value.split(",")):
            looks_numeric = re.fullmatch(r"[0-9a-fA-F.:/]+", item) and re.search(r"\d[.:]", item)
            if not looks_numeric or item.startswith("/"):
                continue
            try:
                ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is no IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)"
                ) from None
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        # A browser sends an origin as scheme://host[:port], lower-case, without a path.
        found = [o.strip().rstrip("/").lower() for o in value.split(",") if o.strip()]
        for origin in found:
            if origin != "*" and not re.fullmatch(r"[a-z][a-z0-9+.-]*://[^/?#\s]+", origin):
                raise ValueError(
                    f"{origin!r} is no origin: give scheme://host[:port], e.g. "
                    "https://app.example.org or moz-extension://<uuid>, or *"
                )
        return ",".join(found)

    @field_validator("access_log_queries")
    @classmethod
    def _log_queries(cls, value: str) -> str:
        value = value.strip()
        if value in ("keep", "redact-search"):
            return value
        names = [n.strip() for n in value.split(",") if n.strip()]
        for name in names:
            if not re.fullmatch(r"[A-Za-z0-9_.\[\]-]+", name):
                raise ValueError(
                    f"{name[:40]!r} is no parameter name: give keep, redact-search or names "
                    "like q,author"
                )
            if mode := _misspelt_mode(name):
                raise ValueError(
                    f"{name[:40]!r} looks like {mode} misspelt, not a parameter name: give "
                    "keep, redact-search or names like q,author"
                )
        if not names:
            raise ValueError("give keep, redact-search or parameter names like q,author")
        return ",".join(dict.fromkeys(names))

    @field_validator("privacy_url")
    @classmethod
    def _privacy(cls, value: str) -> str:
        # A link every page carries: a web address or a path of this host, never javascript:.
        value = value.strip()
        parts = urlsplit(value)
        web = parts.scheme in ("http", "https") and bool(parts.netloc)
        if value and not web and not (value.startswith("/") and not value.startswith("//")):
            raise ValueError(
                f"{value[:40]!r} is no address: give https://… or a path like /privacy"
            )
        if any(c.isspace() or ord(c) < 32 for c in value):
            raise ValueError("a privacy notice's address holds no spaces or control characters")
        return value

    @field_validator("signup_email_domains")
    @classmethod
    def _domains(cls, value: str) -> str:
        found = [d.strip().lstrip("@").rstrip(".").lower() for d in value.split(",") if d.strip()]
        for domain in found:
            if not re.fullmatch(
                r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+", domain
            ):
                raise ValueError(f"{domain!r} is no email domain: give e.g. lab.example.edu")
        return ",".join(found)

    @property
    def signup_domains(self) -> tuple[str, ...]:
        """The email domains open sign-up is limited to (none: no limit)."""
        return tuple(d for d in self.signup_email_domains.split(",") if d)

    @field_validator("mail_from")
    @classmethod
    def _sender(cls, value: str) -> str:
        if "@" not in parseaddr(value)[1]:
            raise ValueError("give an address like 'paperfeed <feeds@example.org>'")
        return value

    @property
    def index_dir(self) -> Path:
        """Where this node keeps its caches derived from the store: search indexes and the
        feed's fitted vocabulary (`keyword/`, `vectors/`, `vocabulary/`)."""
        return self.data_dir / "index"

    @property
    def public_url(self) -> str:
        """The address links and emails use: base_url, else where the server listens."""
        return (self.base_url or self.listen_url or DEFAULT_URL).rstrip("/")

    @property
    def root_path(self) -> str:
        """The path the site is served under: "" at a host's root, else e.g. "/papers"."""
        return urlsplit(self.base_url or "").path.rstrip("/")

    @property
    def smtp_configured(self) -> bool:
        """True when any SMTP setting was given (environment, .env or arguments)."""
        return bool(self.model_fields_set & _SMTP_FIELDS)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL to connect to (SQLite in the data directory unless set)."""
        if self.database_url:
            return _normalise_url(self.database_url)
        return f"sqlite:///{self.data_dir / 'paperfeed.db'}"


def _normalise_url(url: str) -> str:
    # PostgreSQL URLs mean psycopg 3, the driver we ship: a plain one, and one naming another
    # driver as other SQLAlchemy apps write them (postgresql+psycopg2://, +asyncpg, +pg8000),
    # which stopped every command with a traceback (no module named 'psycopg2').
    return _POSTGRES.sub("postgresql+psycopg://", url, count=1)


_POSTGRES = re.compile(r"^(?:postgres|postgresql)(?:\+\w+)?://", re.I)


SERVED_FILE = "served.json"  # in data_dir: where a running `serve`/`demo` listens


def record_served(settings: Settings, listen_url: str | None) -> None:
    """Let other commands on this machine know where `serve` listens (None: it stopped)."""
    path = settings.data_dir / SERVED_FILE
    if listen_url is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    served = {"listen_url": listen_url, "mailbox": settings.mailbox, "pid": os.getpid()}
    path.write_text(json.dumps(served))


def live_server(settings: Settings) -> str | None:
    """Where a `serve` of this data folder listens, while its process runs (a server that
    was killed leaves its record behind: that one is not live)."""
    try:
        data = json.loads((settings.data_dir / SERVED_FILE).read_text())
        pid = int(data["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid():
        return None
    try:  # a pid reused by another program since the server was killed
        if b"paperfeed" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return None
    except OSError:
        pass  # no /proc here: trust the record
    return str(data.get("listen_url") or "")


def as_served(settings: Settings) -> Settings:
    """Settings for a command run beside `serve`: its address when not set, and its demo
    mailbox (a demo under a path, PAPERFEED_BASE_URL set, kept mail there too: a `digest run`
    beside it tried an SMTP server instead)."""
    if (settings.base_url or settings.listen_url) and settings.mailbox:
        return settings
    try:
        data = json.loads((settings.data_dir / SERVED_FILE).read_text())
    except (OSError, ValueError):
        return settings
    if not isinstance(data, dict) or not isinstance(data.get("listen_url"), str):
        return settings
    mailbox = settings.mailbox or (bool(data.get("mailbox")) and not settings.smtp_configured)
    if settings.base_url or settings.listen_url:
        return settings.model_copy(update={"mailbox": mailbox})
    return settings.model_copy(update={"listen_url": data["listen_url"], "mailbox": mailbox})
