"""`paperfeed doctor`: checks what a working install needs and says what to fix, in plain words."""

from __future__ import annotations

import os
import shutil
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from ipaddress import ip_network
from urllib.parse import urlsplit

import httpx

from paperfeed.settings import Settings
from paperfeed.store import connect
from paperfeed.store import jobs as jobs_db
from paperfeed.store.accounts import saved_store_identity
from paperfeed.store.db import DataDirError, unwritable
from paperfeed.store.health import newest_change, store_problems
from paperfeed.util import tls_context

INDEX_LAG = timedelta(hours=1)  # a node's search index may trail the store by its refresh
LOW_SPACE = 100 * 2**20  # with less free, a day's import or the index soon fills the disk


@dataclass
class Findings:
    """Problems (the install is broken until fixed) and notes (worth knowing)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_secret(settings: Settings, found: Findings) -> None:
    """A real secret key outside dev mode; a long one always."""
    key = settings.secret_key
    if not key:
        where = (
            "using a generated key in the data directory"
            if settings.dev_mode
            else "`serve` refuses to start without one"
        )
        message = (
            f"no PAPERFEED_SECRET_KEY is set ({where}); set one long random string, the "
            "same on every node, e.g. `openssl rand -hex 32`"
        )
        (found.notes if settings.dev_mode else found.problems).append(message)
    elif len(key) < 32 or len(set(key)) < 8:
        found.problems.append("PAPERFEED_SECRET_KEY is short or repetitive: use 32+ random chars")


def check_proxies(settings: Settings, found: Findings) -> None:
    """Trusted proxies are addresses or networks (a name matches only a Unix socket's peer),
    an https site trusts its TLS proxy, and uvicorn's FORWARDED_ALLOW_IPS, which paperfeed
    ignores, is not relied on."""
    from paperfeed.web.baseurl import ignored_forwarded_allow_ips, untrusted_tls_proxy

    ignored = ignored_forwarded_allow_ips(os.environ, settings.trusted_proxies)
    if ignored:
        (found.notes if settings.trusted_proxies.strip() else found.problems).append(ignored)
    else:
        untrusted = untrusted_tls_proxy(settings.base_url, settings.trusted_proxies)
        found.problems.extend([untrusted] if untrusted else [])
    for item in (i.strip() for i in settings.trusted_proxies.split(",")):
        if not item or item == "*" or item.startswith("/"):
            continue
        try:
            ip_network(item, strict=False)
        except ValueError:
            found.problems.append(
                f"PAPERFEED_TRUSTED_PROXIES: {item!r} is no IP address or network (e.g. "
                "10.0.0.0/8), so no proxy is trusted and every client looks like the proxy"
            )


def check_base_url(settings: Settings, found: Findings, timeout: float = 5.0) -> None:
    """The public address is a full URL, not localhost in production, and reaches this site."""
    if settings.base_url is None:
        if not settings.dev_mode:
            found.problems.append(
                "PAPERFEED_BASE_URL is not set: links in emails and feeds use the address the "
                "server listens on; set it to the address people use"
            )
        return
    from paperfeed.web.baseurl import path_problem

    base: str = settings.base_url
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        found.problems.append(f"PAPERFEED_BASE_URL {base!r} is not an http(s) URL")
        return
    problem = path_problem(base)
    if problem:
        found.problems.append(problem)
        return
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if local and not settings.dev_mode:
        found.problems.append(
            f"PAPERFEED_BASE_URL is {base}: links in emails would point at the "
            "reader's own machine; set it to the address people use"
        )
    elif parts.scheme == "http" and not settings.dev_mode:
        found.notes.append("PAPERFEED_BASE_URL uses http: sign-in cookies travel unencrypted")
    try:
        answer = httpx.get(base.rstrip("/") + "/healthz", timeout=timeout)
    except httpx.HTTPError:
        found.notes.append(f"nothing answers at {base} now (is the site running?)")
        return
    if answer.status_code != 200 or answer.text.strip() != "ok":
        found.problems.append(
            f"{base}/healthz answered HTTP {answer.status_code}, not paperfeed: "
            "PAPERFEED_BASE_URL or the reverse proxy points somewhere else"
        )


def check_smtp(settings: Settings, found: Findings, timeout: float = 10.0) -> None:
    """The mail server accepts a connection, TLS as configured, and the login; in mailbox
    mode (PAPERFEED_MAILBOX) no mail is sent, which is said instead."""
    if settings.mailbox:
        found.notes.append(
            "mail is kept in the mailbox page (/demo/mailbox), not sent (PAPERFEED_MAILBOX): "
            "for trying paperfeed, not for readers; set PAPERFEED_SMTP_* and turn it off to "
            "send digests and confirmations"
        )
        return
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    step = "connect to"
    try:
        context = tls_context()
        smtp: smtplib.SMTP
        if settings.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with smtp:
            if settings.smtp_tls == "starttls":
                step = "start TLS with"
                smtp.starttls(context=context)
            if settings.smtp_username:
                step = "log in to"
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.noop()
    except (smtplib.SMTPException, OSError) as exc:
        found.problems.append(
            f"cannot {step} the mail server {where} ({exc}); digests and confirmations cannot "
            "be sent: check PAPERFEED_SMTP_HOST, _PORT, _TLS, _USERNAME and _PASSWORD"
        )


def check_model(settings: Settings, found: Findings) -> None:
    """The embedding model loads and embeds a sentence."""
    from paperfeed.search.embed import EmbedderUnavailable, get_embedder

    try:
        vectors = get_embedder(settings.embed_model).embed(["paperfeed doctor"])
    except (EmbedderUnavailable, OSError, ValueError) as exc:
        found.problems.append(
            f"the embedding model {settings.embed_model!r} cannot be loaded ({exc}); semantic "
            "search and digests by topic fall back to keywords"
        )
        return
    if vectors.shape[0] != 1:
        found.problems.append(f"the embedding model {settings.embed_model!r} returned nothing")


def check_store(settings: Settings, found: Findings) -> None:
    """The store answers and is migrated; this node's search index and embeddings keep up."""
    from paperfeed.search.keyword import saved_watermark

    try:
        engine = connect(settings)
    except DataDirError as exc:
        if str(exc) not in found.problems:  # check_data_dir said it
            found.problems.append(str(exc))
        return
    try:
        problems = store_problems(engine)
        found.problems.extend(problems)
        if problems:
            return
        with engine.connect() as conn:
            behind = jobs_db.papers_not_embedded(conn)
            embedding = bool(behind) and jobs_db.lock_taken(conn, "embed")
            identity = saved_store_identity(conn)
        newest = newest_change(engine)
    finally:
        engine.dispose()
    if behind and embedding:  # a note, not a problem: advice to embed too doubled the load
        found.notes.append(
            f"{behind:,} papers are not embedded yet: the pipeline's embed job is embedding "
            "them now (`paperfeed jobs list` says how it goes)"
        )
    elif behind:
        found.problems.append(
            f"{behind:,} papers are not embedded yet: run `paperfeed embed` (the pipeline's "
            "embed job does it nightly)"
        )
    if newest is not None and _index_rebuilt(settings, found):
        return
    if _index_of_another_store(settings, identity):
        found.notes.append(
            "this node's search indexes were built from another store (a different database, "
            "or the one a restored backup came from): the site builds them again from this "
            "store when it starts, or build them now with `paperfeed reindex` (site stopped)"
        )
        return
    mark = saved_watermark(settings.index_dir / "keyword")
    if newest is not None and mark is None:
        found.notes.append(
            "no search index on this node: the site builds it when it starts (a running one "
            "within PAPERFEED_SEARCH_REFRESH_SECONDS), or build it now with `paperfeed reindex` "
            "(with the site stopped)"
        )
    elif newest is not None and mark is not None and newest - mark > INDEX_LAG:
        found.problems.append(
            f"this node's search index is {newest - mark} behind the store: start the site "
            "(it catches up) or run `paperfeed reindex`"
        )


def _index_of_another_store(settings: Settings, identity: int | None) -> bool:
    """The data folder's indexes name a store other than this one (as the site finds them)."""
    from paperfeed.search.service import STORE_FILE

    try:
        kept = int((settings.index_dir / STORE_FILE).read_text())
    except (OSError, ValueError):
        return False  # no indexes yet, or ones from before stores had an identity (adopted)
    return kept != identity


def _index_rebuilt(settings: Settings, found: Findings) -> bool:
    """Note a search index being built from scratch (and how far it got), or one of an older
    version that the site's next start builds again; True when either was said."""
    from paperfeed.search.beside import build_under_way
    from paperfeed.search.keyword import SCHEMA_VERSION, SEARCHABLE_SINCE, saved_state

    schema = saved_state(settings.index_dir / "keyword")[0]
    build, answering = build_under_way(settings.index_dir / "keyword")
    if build is not None and answering:
        found.notes.append(
            f"keyword index: rebuilding beside the current one, {build}; search answers from "
            "the current index meanwhile"
        )
    elif build is not None:
        found.notes.append(
            f"this node's search index is being built from the store: {build} so far; "
            "searches answer 'being rebuilt' until it is done (a stopped or killed build goes "
            "on from there at the next start)"
        )
    elif schema is not None and schema != SCHEMA_VERSION:
        found.notes.append(
            f"this node's search index is of an older version ({schema}, now {SCHEMA_VERSION}): "
            "the site builds it again from the store when it starts (or `paperfeed reindex`, "
            "with the site stopped); see the CHANGELOG for how long that takes"
            + ("; searches answer from this one meanwhile" if schema >= SEARCHABLE_SINCE else "")
        )
    return build is not None or (schema is not None and schema != SCHEMA_VERSION)


def check_data_dir(settings: Settings, found: Findings) -> None:
    """The data folder can be written and its disk has room."""
    folder = settings.data_dir
    if not folder.is_dir():
        return  # the first command that needs it makes it (check_store says if it cannot)
    problem = unwritable(folder, settings)
    if problem:
        found.problems.append(problem)
        return
    free = shutil.disk_usage(folder).free
    if free < LOW_SPACE:
        found.problems.append(
            f"the disk of PAPERFEED_DATA_DIR {folder} has {free / 2**20:.1f} MB free: votes, "
            "comments, sign-ups and imports fail (the site answers 507) once it is full; "
            "free some space"
        )


CHECKS: list[Callable[[Settings, Findings], None]] = [
    check_secret,
    check_proxies,
    check_base_url,
    check_smtp,
    check_model,
    check_data_dir,
    check_store,
]


def diagnose(settings: Settings) -> Findings:
    """Run every check."""
    found = Findings()
    for check in CHECKS:
        check(settings, found)
    return found
