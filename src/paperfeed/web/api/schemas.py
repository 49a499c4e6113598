"""The shapes of the /api answers and request bodies, as the OpenAPI document shows them."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class AuthorOut(BaseModel):
    name: str


class UserOut(BaseModel):
    name: str
    fullname: str
    type: str = "user"


class AskedVersionOut(BaseModel):
    """The arXiv version a versioned id named (2401.00001v1), beside the latest stored."""

    number: int
    exists: bool | None = Field(description="false: arXiv has no such version; null: not known")
    submittedAt: str | None = Field(description="when arXiv received that version, where known")
    latest: int | None = Field(description="the latest version this site holds; null: not known")
    arxivUrl: str | None = Field(description="arXiv's page of that version, where it has one")


class PaperOut(BaseModel):
    """A paper, with Hugging Face's field names where they exist."""

    id: str
    title: str
    summary: str
    authors: list[AuthorOut]
    publishedAt: str | None
    upvotes: int
    categories: list[str]
    listingDate: str | None
    version: int | None
    comments: str | None
    journalRef: str | None
    doi: str | None
    arxivUrl: str | None
    pdfUrl: str | None
    codeLinks: list[str]
    githubRepo: str | None
    githubStars: int | None
    numComments: int = 0
    numModels: int = 0
    numDatasets: int = 0
    numSpaces: int = 0
    withdrawn: bool
    submittedOnDailyBy: UserOut | None
    upvotedBy: list[UserOut] | None = Field(
        None,
        description="GET /api/papers/{id} only: the newest upvoters who chose to show their "
        "upvotes (at most 3); the rest of `upvotes` are counted, never named",
    )
    keywords: list[str] | None = Field(
        None,
        description="GET /api/papers/{id} only: up to 6 keyphrases extracted automatically "
        "from the title and abstract (YAKE, no language model), best first, as plain text",
    )
    askedVersion: AskedVersionOut | None = Field(
        None,
        description="GET /api/papers/{id}vN only: the version the id named; the rest of the "
        "answer is the latest version",
    )


class ItemOut(BaseModel):
    """One entry of a list, as in Hugging Face's /api/daily_papers."""

    paper: PaperOut
    title: str
    summary: str
    publishedAt: str | None
    numComments: int = 0
    submittedBy: UserOut | None
    thumbnail: str | None = None
    trendingScore: float | None = None
    score: float | None = None
    highlight: str | None = Field(None, description="search snippet, HTML with <mark>")


class VoteOut(BaseModel):
    id: str
    upvotes: int
    upvoted: bool


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    id: str = Field(
        min_length=1,
        max_length=1000,
        description="arXiv id or arxiv.org URL (`paper_id`, as the library calls it, is read too)",
        validation_alias=AliasChoices("id", "paper_id"),
    )


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is said, not ignored

    username: str = Field(max_length=64)
    password: str = Field(max_length=1000)


class TokenOut(BaseModel):
    # web.api_tokens has a TokenOut too: the OpenAPI document names this one by its module,
    # which stays the package's (paperfeed__web__api__TokenOut), as before the split.
    __module__ = "paperfeed.web.api"

    token: str
    username: str
    expires_at: str | None = Field(
        None, description="when the token ends at the latest, however much it is used"
    )
    idle_seconds: int | None = Field(
        None, description="it ends sooner when unused for this long (null: no idle limit)"
    )


class CollectionFeedsOut(BaseModel):
    atom: str
    rss: str
    bib: str
    ris: str
    json_: str = Field(alias="json")


class PublicCollectionOut(BaseModel):
    name: str
    description: str
    owner: str
    papers: int
    updatedAt: str | None
    url: str
    feeds: CollectionFeedsOut


class VenueFeedsOut(BaseModel):
    atom: str
    rss: str
    bib: str


class VenueOut(BaseModel):
    name: str  # the conference: "ICML", "NeurIPS", "ACL"
    year: int
    track: str  # "" (main), "Findings", "Workshop" or "Challenge"
    label: str  # as shown: "ICML 2026", "Findings of ACL 2026", "CVPR 2026 Workshop"
    slug: str  # its address part: /api/venues/{slug}, /venues/{slug}
    papers: int
    url: str
    feeds: VenueFeedsOut


class TopicOut(BaseModel):
    label: list[str]
    size: int
    papers: list[str]
    places: list[list[float]]  # each paper's [x, y] on the map, in [0, 1]


class TopicPeriodOut(BaseModel):
    kind: str
    start: str
    end: str


class TopicsOut(BaseModel):
    period: TopicPeriodOut | None
    topics: list[TopicOut]
    waiting: list[str]
    total: int
    grouped: int
    hiddenByMutes: int


class LoggedOutOut(BaseModel):
    ok: Literal[True]
