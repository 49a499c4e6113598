"""The secret key that signs cookies, CSRF tokens and email links."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from paperfeed.settings import Settings

log = logging.getLogger(__name__)
DEV_SECRET_FILE = "dev-secret-key"


class InsecureSettings(RuntimeError):
    """The settings are unsafe to serve with (no secret key outside dev mode)."""


def secret_key(settings: Settings) -> str:
    """The configured secret; in dev mode a generated one kept in the data directory."""
    if settings.secret_key:
        return settings.secret_key
    if not settings.dev_mode:
        raise InsecureSettings(
            "PAPERFEED_SECRET_KEY is required when PAPERFEED_DEV_MODE is off; "
            "set it to a long random string, e.g. the output of `openssl rand -hex 32`"
        )
    return _dev_secret(settings.data_dir / DEV_SECRET_FILE)


def _dev_secret(path: Path) -> str:
    # Every process (CLI, cron, web workers) must agree on it; linking a finished temporary
    # file into place means no process ever reads a half-written key.
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
            log.warning("dev mode: generated a secret key in %s", path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
