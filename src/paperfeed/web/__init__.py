"""The site: server-rendered pages, the JSON API, feeds and BibTeX over the store."""

from paperfeed.web.app import create_app

__all__ = ["create_app"]
