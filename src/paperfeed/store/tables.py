"""Table definitions (SQLAlchemy Core); migrations in `migrations/` create them."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData()

papers = Table(
    "papers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("version", Integer),
    Column("title", Text, nullable=False),
    Column("title_key", Text, nullable=False, index=True),
    Column("abstract", Text, nullable=False, default=""),
    Column("published", DateTime),
    Column("updated", DateTime),
    Column("comments", Text),
    Column("journal_ref", Text),
    Column("doi", Text),
    Column("license", Text),
    Column("source", String(32), nullable=False),
    Column("first_seen", DateTime, nullable=False),
    Column("listing_date", Date, index=True),
    Column("withdrawn", Boolean, nullable=False, default=False),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("featured", Boolean, nullable=False, default=False),
    Column("changed_at", DateTime, nullable=False),
    # A digest of the Paper last written (NULL: unknown), so re-imports skip unchanged papers.
    Column("fingerprint", String(32)),
    # When it was put on its listing day (a day given or moved later: a digest that covered
    # the day before then carries it next). NULL: on no day.
    Column("listed_at", DateTime),
    # When an ingest stored a newer version of it than it held (NULL: never since 0048, or v1):
    # followers of a collection holding it are told from then, whatever date arXiv gave it.
    Column("version_stored_at", DateTime),
    # The conference its journal reference or comment says it is at ("ICML 2026", "Findings of
    # ACL 2026", "CVPR 2026 Workshop": `venues.stored_venue`), written with the paper; NULL: none.
    Column("venue", String(64)),
    # The search refresh's order: many rows sharing one stamp are still read in key order.
    Index("ix_papers_changed_at_id", "changed_at", "id"),
    # A venue's papers, each venue's count of those shown and (with the id) the papers a search
    # within a conference looks among, read from the index alone; of the papers naming a venue
    # only (one in nine: the others' inserts skip it).
    Index(
        "ix_papers_venue",
        "venue",
        "hidden",
        "id",
        sqlite_where=text("venue IS NOT NULL"),
        postgresql_where=text("venue IS NOT NULL"),
    ),
)

versions = Table(
    "versions",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("created", DateTime),
)

paper_authors = Table(
    "paper_authors",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False),
    Index("ix_paper_authors_name_key", "name_key"),
)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("category", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    Index("ix_paper_categories_category", "category"),
)

code_links = Table(
    "code_links",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("url", Text, nullable=False),
)

signals = Table(
    "signals",
    metadata,
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("upvotes", Integer, nullable=False, default=0),
    Column("submitted_by", Text),
    Column("github_repo", Text),
    Column("github_stars", Integer),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("name", String(512), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)
