"""The `twoembed` command line: demo, coverage, export and inspect.

Errors print one line on stderr (`twoembed: error: ...`) and exit with 2 for
a bad command line, 1 for anything else; never a traceback. Output into a
pipe whose reader has gone (`twoembed coverage ... | head`) stops quietly
with 141, the status a shell reports for a command killed by SIGPIPE
(128 + 13), without a message; Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from twoembed import __version__

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, not argparse's usage block: the user reruns with --help.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _member(text: str) -> str | int:
    """`--member`: digits pick a zip member by dim, anything else by name."""
    return int(text) if text.isdigit() else text


def _add_member_option(command: argparse.ArgumentParser) -> None:
    """`--member`, for every command that reads a vector file."""
    command.add_argument(
        "--member",
        type=_member,
        help="inside a .zip holding several files: the member's name, or its "
        "dim (300 picks glove.6B.300d.txt)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="twoembed",
        description="Frozen pretrained word vectors plus trainable special-token "
        "vectors, in Keras.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser
    )

    demo = commands.add_parser(
        "demo",
        help="train a review classifier on the bundled sample data",
        description="Train a review classifier on the bundled sample data "
        "(nothing is downloaded): coverage, parameter counts, a check that the "
        "pretrained rows stayed exact, nearest neighbours of the learned special "
        "vectors. Writes model.keras, vocab.json and PNG plots into --out; each "
        "file there is replaced only once its new version is complete.",
    )
    demo.add_argument(
        "--out", default=".", help="directory for the outputs (default: .)"
    )
    demo.add_argument(
        "--epochs", type=int, default=12, help="training epochs (default: 12)"
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")

    coverage = commands.add_parser(
        "coverage",
        help="how much of a corpus a vector file covers",
        description="Report how many of CORPUS's words and tokens have a vector "
        "in VECTORS, and the most frequent missing words. CORPUS is a text file, "
        "tokenised like twoembed.tokenize (ASCII-lowercased unless --keep-case; "
        "--style glove splits punctuation and clitics from words, --style "
        "whitespace only splits on whitespace).",
    )
    coverage.add_argument(
        "vectors",
        help="GloVe/word2vec/fastText text file (.gz, .bz2, .zip too), word2vec "
        "binary or fastText .bin (detected from the content)",
    )
    coverage.add_argument(
        "corpus", help="UTF-8 text file (read once: a pipe such as /dev/stdin works)"
    )
    _add_member_option(coverage)
    coverage.add_argument(
        "--keep-case", action="store_true", help="do not lowercase the corpus"
    )
    coverage.add_argument(
        "--style",
        choices=("glove", "whitespace"),
        default="glove",
        help="how the corpus is split into tokens (default: glove)",
    )
    coverage.add_argument(
        "--lowercase-fallback",
        action="store_true",
        help="a word without a vector uses its lowercase form's vector",
    )
    coverage.add_argument(
        "--top", type=int, default=20, help="missing words to list (default: 20)"
    )

    export = commands.add_parser(
        "export",
        help="write a trained model's effective vectors as a text vector file",
        description="Write the effective vectors of MODEL's block (pretrained rows "
        "plus learned special and OOV rows) to OUT as text: a 'count dim' header "
        "line, then one line per word and special token, then OOV. VOCAB is the "
        "JSON file written by Vocabulary.save. OUT reads back with "
        "twoembed.load_glove. OUT is written to a temporary file beside it and "
        "renamed when complete: an existing OUT is replaced only by a complete "
        "file, and an interrupted export leaves it as it was. OUT may not be "
        "MODEL, VOCAB or the .npy table MODEL is saved by reference to.",
    )
    _add_model_arguments(export)
    export.add_argument(
        "out", help="the text file to write (replaced only once complete)"
    )
    export.add_argument(
        "--oov-token", default="<oov>", help="token for the OOV row (default: <oov>)"
    )

    inspect = commands.add_parser(
        "inspect",
        help="what each trainable row of a trained model learned",
        description="For each special, promoted and OOV row of MODEL's block: its "
        "hits in --ids, how far it moved from its start (L2, and cosine to the "
        "start), its norm next to the pretrained rows' median norm, and its "
        "nearest pretrained words by cosine. VOCAB is the JSON file written by "
        "Vocabulary.save.",
    )
    _add_model_arguments(inspect)
    inspect.add_argument(
        "--ids", help="a .npy file of the training ids, to count each row's hits"
    )
    inspect.add_argument(
        "--top", type=int, default=5, help="nearest words per row (default: 5)"
    )
    return parser


def _add_model_arguments(command: argparse.ArgumentParser) -> None:
    """MODEL, VOCAB and --block, which `export` and `inspect` share."""
    command.add_argument("model", help="a .keras file holding a twoembed block")
    command.add_argument("vocab", help="the vocabulary JSON saved with the model")
    command.add_argument("--block", help="block name, when the model holds several")


def _demo(args: argparse.Namespace) -> None:
    from twoembed._files import check_writable_directory

    if args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1. Received: {args.epochs}")
    if not 0 <= args.seed < 2**32:
        raise ValueError(f"--seed must be in [0, 2**32). Received: {args.seed}")
    # Before Keras is even imported: a bad --out fails in a moment.
    check_writable_directory(args.out, "--out")
    from twoembed.demo import run_demo

    run_demo(args.out, epochs=args.epochs, seed=args.seed)


def _coverage(args: argparse.Namespace) -> None:
    from twoembed._corpus import count_tokens
    from twoembed.tokenize import split_gain, tokenize
    from twoembed.vectors import load_glove

    if args.top < 0:
        raise ValueError(f"--top must be at least 0. Received: {args.top}")
    lowercase = not args.keep_case
    # Read once, in bounded pieces: a pipe or a file of one long line is fine.
    counts = count_tokens(args.corpus, lowercase, args.style)
    if not counts:
        raise ValueError(f"Corpus {args.corpus!r} holds no tokens")
    words = [w for w, _ in counts.most_common()]
    options = {"lowercase_fallback": args.lowercase_fallback, "member": args.member}
    result = load_glove(args.vectors, words, counts=counts, **options)
    print(result.report.summary(top=args.top))
    missing = result.report.missing_counts
    if args.style == "whitespace" and missing:
        # Does the file have the pieces GloVe-style splitting would make?
        # A second pass over the file, for those pieces only.
        pieces = {p for w, _ in missing for p in tokenize(w, lowercase)} - set(words)
        found = set(result.words)
        if pieces:
            more = load_glove(args.vectors, sorted(pieces), verbose=0, **options)
            found.update(more.words)
        gained, examples = split_gain(missing, found, lowercase)
        if gained:
            share = gained / sum(counts.values())
            print(
                f"  {gained} missing tokens ({share:.2%} of the corpus) would be "
                f"found with --style glove, e.g. {', '.join(map(repr, examples[:5]))}"
            )


def _export(args: argparse.Namespace) -> None:
    from twoembed._files import same_file

    if not args.out:
        raise ValueError("OUT is empty: name the text file to write. Received: ''")
    for path, what in ((args.model, "model"), (args.vocab, "vocabulary")):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No {what} file at {path!r}")
        if same_file(args.out, path):
            raise ValueError(
                f"The output {args.out!r} is the {what} file being read; writing "
                f"it would destroy the {what}. Choose another output path."
            )
    from twoembed.export import block_names, export_vectors
    from twoembed.vocab import Vocabulary

    vocab = Vocabulary.load(args.vocab)
    model = _load_model(args.model)
    names = block_names(model)
    if args.block is None and len(names) > 1:
        raise ValueError(
            f"{args.model!r} holds {len(names)} blocks, {names!r}: pass --block NAME"
        )
    rows = export_vectors(
        model, vocab, args.out, block=args.block, oov_token=args.oov_token
    )
    print(f"wrote {rows} vectors to {args.out}")


def _load_model(path: str) -> Any:
    """The Keras model saved at `path`, or a ValueError saying why not."""
    import zipfile

    import keras

    import twoembed  # noqa: F401  registers the block's functions for loading

    if not zipfile.is_zipfile(path):  # Keras calls that "File not found"
        raise ValueError(
            f"{path!r} is not a .keras file: a .keras model is a zip archive, and "
            "this is not one (cut short by an interrupted copy, or another format)"
        )
    try:
        return keras.models.load_model(path)
    except Exception as error:
        raise ValueError(f"Cannot load {path!r} as a Keras model: {error}") from None


def _is_npy(path: str) -> bool:
    with open(path, "rb") as f:
        return f.read(6) == b"\x93NUMPY"


def _inspect(args: argparse.Namespace) -> None:
    if args.top < 1:
        raise ValueError(f"--top must be at least 1. Received: {args.top}")
    for path, what in (
        (args.model, "model"),
        (args.vocab, "vocabulary"),
        (args.ids, "ids"),
    ):
        if path is not None and os.path.isdir(path):
            raise ValueError(f"{path!r} is a directory, not a {what} file")
        if path is not None and not os.path.isfile(path):
            raise FileNotFoundError(f"No {what} file at {path!r}")
    import numpy as np

    from twoembed.inspect import inspect_rows
    from twoembed.vocab import Vocabulary

    vocab = Vocabulary.load(args.vocab)
    ids = None
    if args.ids is not None:
        try:
            if not _is_npy(args.ids):
                raise ValueError("not a .npy file (np.save writes one)")
            ids = np.load(args.ids, allow_pickle=False)
        except Exception as error:
            raise ValueError(
                f"Cannot read {args.ids!r} as a .npy array of ids: {error}"
            ) from None
    model = _load_model(args.model)
    print(inspect_rows(model, vocab, ids=ids, top=args.top, block=args.block))


def _silence_stdout() -> None:
    """Points stdout at the null device: the interpreter's flush of what is
    still buffered, at exit, then succeeds instead of raising again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no file (captured, say)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # --help, or a bad command line (one line printed)
        return exit_.code if isinstance(exit_.code, int) else 1
    command = {
        "demo": _demo,
        "coverage": _coverage,
        "export": _export,
        "inspect": _inspect,
    }[args.command]
    try:
        command(args)
        if sys.stdout is not None:  # a reader that has gone shows here, not at exit
            sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except KeyboardInterrupt:
        print("twoembed: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # one line, no traceback, whatever went wrong
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"twoembed {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
