"""The site: server-rendered pages, the JSON API, feeds and BibTeX over the store.

The app factory is `paperfeed.web.app.create_app`; this package imports nothing, so that a
command which does not serve never loads the web stack.
"""
