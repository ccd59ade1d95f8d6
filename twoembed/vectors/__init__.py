"""Reading pretrained word vectors from GloVe, word2vec and fastText files.

`load_glove` reads the file in binary blocks. When the caller names the words
it needs, only the token of each line is looked at and only the rows of the
wanted words are parsed, in bulk (`read_some`): a 20k-word load from a 1 GB
file costs close to reading the file, and its memory stays close to the size
of the result. A whole-file load (`read_all`) hands 30 MiB blocks to a C
parser, two at a time (`bulk`: pandas' reader when importable, else
`np.loadtxt`); a block that does not parse cleanly goes row by row through
the careful parser (`rows`), which words the error: file, line, what was
found, what was expected.

Where things live:

- `load`: `load_glove` and `load`, the entry point: argument checks, the
  cache, dispatch to a format's reader (`READERS`), the report.
- `options`: `LoadOptions`, everything that travels through one load.
- `text_format`: the text format's reader; `sources` opens and decompresses
  files and cuts them into blocks; `header` detects the `count dim` header
  and the vector size; `rows`, `bulk`, `read_all`, `read_some` as above.
- `cache`, `progress`, `coverage`: the cache key and entries, the progress
  bar, the coverage report; `result`: `LoadedVectors`, `LoadReport`,
  `RawVectors`.

The reader contract: a format's reader is a function
`read(path: str, requested: list[str] | None, options: LoadOptions)
-> tuple[RawVectors, str]`, registered in `load.READERS` under the format's
name. `requested` is None for every row in file order, else the words asked
for (checked, possibly repeated): the reader returns those the file has, in
the order asked, each once. It honours the options that apply to its format
(`dim`, `on_bad_row`, `invalid_utf8`, `lowercase_fallback`, `member`, ...),
and returns a `RawVectors` (float32 matrix, the counters of the report) and
a label naming what was read (the path, plus `:member` in a zip). It raises
ValueError naming the file (and the line or offset) on malformed input;
the cache, coverage and report are done around it, by `load`.

Example:

>>> words, matrix = load_glove("glove.6B.100d.txt", ["the", "cat"])  # doctest: +SKIP
>>> result = load_glove("glove.6B.zip", corpus_words, member=100,
...                     counts=corpus_counter, cache_dir="~/.cache/twoembed")
...                                                        # doctest: +SKIP
>>> vocab = result.vocabulary(special_tokens=["<url>"], promote_missing=50)
...                                                        # doctest: +SKIP
"""

from twoembed.vectors.load import load_glove
from twoembed.vectors.result import LoadedVectors, LoadReport
from twoembed.vectors.rows import token_reads_back

__all__ = ["LoadReport", "LoadedVectors", "load_glove", "token_reads_back"]
