"""Where a message's links point: the site's pages, with signed tokens for one subscriber."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from paperfeed.digest.tokens import make_token, make_tokens

PAPER_PATH = "/papers/{id}"  # the site's paper page
RATE_PATH = "/digest/rate"  # a digest's 👍 / 👎 link (its token, then &paper=ID&r=1 or -1)


@dataclass(frozen=True)
class Links:
    """Where a message's links point: the site, with signed tokens for one subscriber."""

    base_url: str
    secret: str
    subscriber_id: int
    nonce: str

    def url(self, path: str, **params: str) -> str:
        """An absolute link under the site's base address."""
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.base_url.rstrip('/')}{path}{query}"

    def token_url(self, path: str, scope: str) -> str:
        """A link carrying a token for `scope`."""
        return self.url(path, token=make_token(self.secret, scope, self.subscriber_id, self.nonce))

    def token_urls(self, *links: tuple[str, str]) -> list[str]:
        """Links to (path, scope) pairs with their tokens, made together (cheaper)."""
        scopes = [scope for _, scope in links]
        tokens = make_tokens(self.secret, scopes, self.subscriber_id, self.nonce)
        # A token is URL-safe base64 and dots: `url(path, token=t)` without urlencode's work.
        return [f"{self.url(path)}?token={t}" for (path, _), t in zip(links, tokens, strict=True)]

    def paper(self, paper_id: str) -> str:
        """The paper's page on the site."""
        return self.url(PAPER_PATH.format(id=quote(paper_id, safe="/.-")))
