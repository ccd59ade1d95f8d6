"""What a load returns (`LoadedVectors`, `LoadReport`) and what a reader gives."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from twoembed._checks import check_tokens
from twoembed._files import PathLike, atomic_write, checked_path
from twoembed.starts import StartSource, promoted_starts
from twoembed.vocab import Vocabulary

Matrix = np.ndarray


@dataclasses.dataclass
class RawVectors:
    """What a format reader gives, before coverage: this is what is cached.

    `words[i]` is the token of `matrix[i]` (float32, `(len(words), dim)`);
    the counters feed the `LoadReport`.
    """

    words: list[str]
    matrix: Matrix
    dim: int
    header: tuple[int, int] | None
    lines_read: int
    lowercased: list[str]
    duplicates: int
    invalid_utf8: int
    skipped_rows: list[int]
    # Requested words outside a fastText dictionary, built from n-grams.
    from_subwords: list[str] = dataclasses.field(default_factory=list)
    # Where a fastText model's matrix is (`fasttext_bin.Model` as a dict),
    # for subword vectors after the load; None for other sources.
    source: dict | None = None


@dataclasses.dataclass(frozen=True)
class LoadReport:
    """What `load_glove` found, skipped and could not find.

    Attributes:
        path: the file read (plus `:member` inside a zip).
        dim: the vector size.
        header: `(count, dim)` of a word2vec/fastText header, or None.
        lines_read: lines of the file read, header and blank lines included
            (rows, or dictionary entries, for binary and in-memory sources).
        num_requested: distinct words asked for; None when all were loaded.
        num_found: words returned, `from_subwords` included.
        missing: requested words the file lacks; most frequent in the corpus
            first when `counts` were given, else in the order asked.
        lowercased: requested words that got the vector of their lowercase
            form (only with `lowercase_fallback=True`).
        duplicates: rows whose token was already seen (the first row wins).
            With `words`, only rows of requested words are counted.
        invalid_utf8: tokens with invalid UTF-8, replaced or skipped as
            `invalid_utf8=` said. Counted when all rows are loaded; with
            `words`, such a token just matches no requested word.
        skipped_rows: line numbers of malformed rows skipped with
            `on_bad_row="skip"`.
        corpus_tokens: tokens in the corpus counts, or None.
        token_coverage: share of corpus tokens whose word has a vector, or
            None without `counts`.
        missing_counts: `(word, count)` of missing words, most frequent
            first; empty without `counts`.
        from_cache: whether the result came from `cache_dir`.
        seconds: wall time of the call.
        format: `"text"`, `"word2vec-binary"`, `"fasttext"` or `"in-memory"`.
        from_subwords: requested words outside a fastText dictionary whose
            vector was built from their character n-grams. Found in the
            dictionary: `num_found - len(from_subwords)`.
    """

    path: str
    dim: int
    header: tuple[int, int] | None
    lines_read: int
    num_requested: int | None
    num_found: int
    missing: tuple[str, ...]
    lowercased: tuple[str, ...]
    duplicates: int
    invalid_utf8: int
    skipped_rows: tuple[int, ...]
    corpus_tokens: int | None
    token_coverage: float | None
    missing_counts: tuple[tuple[str, int], ...]
    from_cache: bool
    seconds: float
    format: str = "text"
    from_subwords: tuple[str, ...] = ()

    def most_frequent_missing(self, n: int = 10) -> list[tuple[str, int]]:
        """The `n` most frequent missing words with their corpus counts."""
        return list(self.missing_counts[:n])

    def __str__(self) -> str:
        return self.summary()

    def summary(self, top: int = 10) -> str:
        """The report as text, listing the `top` most frequent missing words."""
        lines = [f"{self.path}: {self.num_found} vectors of dim {self.dim}"]
        if self.num_requested is not None and self.from_subwords:
            lines.append(
                f"  of {self.num_requested} requested words: "
                f"{self.num_found - len(self.from_subwords)} found, "
                f"{len(self.from_subwords)} built from subwords, "
                f"{len(self.missing)} missing"
            )
        elif self.num_requested is not None:
            lines.append(
                f"  found {self.num_found} of {self.num_requested} requested "
                f"words, {len(self.missing)} missing"
            )
        if self.token_coverage is not None:
            lines.append(
                f"  token coverage {self.token_coverage:.2%} of "
                f"{self.corpus_tokens} corpus tokens"
            )
        missing = self.most_frequent_missing(top)
        if missing:
            listed = ", ".join(f"{w!r} ({c})" for w, c in missing)
            lines.append(f"  {len(missing)} most frequent missing: {listed}")
        for label, value in (
            ("found by lowercase", len(self.lowercased)),
            ("duplicate rows ignored", self.duplicates),
            ("tokens with invalid UTF-8", self.invalid_utf8),
            ("malformed rows skipped", len(self.skipped_rows)),
        ):
            if value:
                lines.append(f"  {label}: {value}")
        return "\n".join(lines)


class LoadedVectors:
    """The words and matrix `load_glove` returns, plus its `LoadReport`.

    Unpacks as `(words, matrix)`: row `i` of `matrix` is the vector of
    `words[i]`, the layout `Vocabulary` and `build_embedding_block` expect.

    `subword_vectors` is, for a fastText `.bin`, a function `words -> float32
    (len(words), dim)` giving fastText's vector of each word (the mean of its
    n-gram rows; zeros for a word without n-grams), callable after the load
    (it re-opens the file, and refuses if the file changed); None for
    sources without subwords.

    Example:

    >>> words, matrix = load_glove(path, ["the", "cat"])  # doctest: +SKIP
    >>> result = load_glove(path, ["the", "cat", "zyx"])  # doctest: +SKIP
    >>> result.missing, result.vocabulary(promote_missing=True).special_tokens
    ... # doctest: +SKIP
    (('zyx',), ('zyx',))
    """

    def __init__(
        self,
        words: list[str],
        matrix: Matrix,
        report: LoadReport,
        subword_vectors: Callable[[list[str]], Matrix] | None = None,
    ):
        self.words = words
        self.matrix = matrix
        self.report = report
        # fastText's vector for any word, from its n-grams (`Model.
        # subword_vectors`): a start for promoted missing words. None when
        # the source has no subwords (text, word2vec, in memory).
        self.subword_vectors = subword_vectors

    def __iter__(self) -> Iterator[object]:
        return iter((self.words, self.matrix))

    def __repr__(self) -> str:
        return (
            f"LoadedVectors(num_words={len(self.words)}, dim={self.report.dim}, "
            f"missing={len(self.report.missing)})"
        )

    @property
    def missing(self) -> tuple[str, ...]:
        """Requested words without a vector, most frequent first."""
        return self.report.missing

    def save(self, path: PathLike) -> str:
        """Writes the matrix as a `.npy` file, for `build_embedding_block`.

        A block built from that path reads the table from the file, and a
        model saved from it keeps only the file's path and fingerprint. The
        words are not in the file: keep them with `Vocabulary.save`. The write
        is atomic: `path` holds its old content or the whole new file.

        Returns:
            `path`, as a string.

        Example:

        >>> result.save("glove.840B.npy")  # doctest: +SKIP
        >>> build_embedding_block(vocab, "glove.840B.npy")  # doctest: +SKIP
        """
        target = checked_path(path)
        if not target.endswith(".npy"):
            raise ValueError(
                "`path` must end in .npy (numpy.save would add it, and the path "
                f"given to the block would not exist). Received: path={target!r}"
            )
        with atomic_write(target) as f:
            np.lib.format.write_array(
                f, np.asarray(self.matrix, dtype=np.float32), allow_pickle=False
            )
        return target

    def vocabulary(
        self,
        special_tokens: Sequence[str] = (),
        promote_missing: int | bool = 0,
        promoted_start: StartSource | Sequence[StartSource] = "random",
    ) -> Vocabulary:
        """Builds the `Vocabulary` for these words.

        Args:
            special_tokens: trainable tokens such as `"<url>"`.
            promote_missing: how many missing words (most frequent first)
                become trainable special tokens too; True means all of them.
                The others fall to OOV.
            promoted_start: where promoted words start (`vocab.starts`, used
                by `build_embedding_block`): `"random"` (its
                `special_initializer`), `"case"` (the vector of the word's
                lowercase or capitalised form, where these words hold it),
                `"mean"` (of all rows), `"subword"` (fastText's vector from the
                word's n-grams; vectors loaded from a fastText `.bin` only), a
                callable `word -> vector or None`, or a sequence of these tried
                in order, e.g. `("subword", "case", "mean")`.

        Example:

        >>> vocab = result.vocabulary(["<url>"], promote_missing=100)
        ... # doctest: +SKIP
        """
        if isinstance(promote_missing, bool):
            count = len(self.missing) if promote_missing else 0
        elif isinstance(promote_missing, (int, np.integer)) and promote_missing >= 0:
            count = int(promote_missing)
        else:
            raise ValueError(
                "`promote_missing` must be a non-negative int or a bool. "
                f"Received: promote_missing={promote_missing!r}"
            )
        specials = check_tokens(special_tokens, "special_tokens")
        taken = set(specials)
        promoted = [w for w in self.missing[:count] if w not in taken]
        starts = promoted_starts(
            self.words, promoted, promoted_start, subword=self._subword_lookup(promoted)
        )
        return Vocabulary(self.words, specials + promoted, starts=starts)

    def _subword_lookup(self, promoted: list[str]) -> Callable[[str], Matrix] | None:
        """`word -> subword vector or None` for `promoted`, read in one pass."""
        if self.subword_vectors is None:
            return None
        vectors: dict[str, Matrix] = {}

        def lookup(word: str) -> Matrix | None:
            if not vectors and promoted:
                found = self.subword_vectors(promoted)
                vectors.update(zip(promoted, found, strict=True))
            vector = vectors.get(word)
            # A word with no n-gram in the model gets zeros from fastText: no
            # start, so the next source in `promoted_start` is tried.
            return None if vector is None or not vector.any() else vector

        return lookup
