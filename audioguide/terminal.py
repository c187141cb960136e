"""What the `audioguide` command draws on a terminal: progress bars while it works, then the
library's reports as lines of text.

Kept apart from the click commands in `cli.py`, so that each command stays a few lines: parse
options, call the library, hand the result to a printer here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Self

import click

# The stages are imported here for annotations only, and inside the printers that call them:
# `cli.py` imports this module for every command, `--help` included, which should stay quick.
if TYPE_CHECKING:
    from audioguide.build import BuildReport
    from audioguide.engines.base import VoiceInfo
    from audioguide.guide import SourceRead
    from audioguide.narration import SplitReport
    from audioguide.plan import EpisodeEstimate
    from audioguide.proof import ProofReport
    from audioguide.respell import Fix
    from audioguide.run import BuildProgress


def clock(ms: int, *, precise: bool = False) -> str:
    """`M:SS` or `H:MM:SS`; `precise` adds milliseconds (`M:SS.mmm`)."""
    seconds, millis = divmod(ms, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = (
        f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    )
    return f"{text}.{millis:03d}" if precise else text


class ProgressBar:
    """One progress bar over the chapters a build makes, with the whole build's episodes and
    chapters and the pace in minutes of audio per minute; silent when output is piped."""

    def __init__(self) -> None:
        self._bar = None
        self._status = ""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def __call__(self, progress: BuildProgress) -> None:
        if not sys.stderr.isatty() or not progress.to_make:
            return
        pace = (
            progress.made_ms / 60000 / (progress.seconds / 60)
            if progress.seconds > 0
            else 0.0
        )
        self._status = (
            f"episodes {progress.episodes_done}/{progress.episodes}, "
            f"chapters {progress.chapters_done}/{progress.chapters}, "
            f"{pace:.1f} min of audio/min"
        )
        if self._bar is None:
            self._bar = click.progressbar(
                length=progress.to_make,
                label="Making chapters",
                file=sys.stderr,
                show_pos=True,
                show_eta=True,
                item_show_func=lambda _: self._status,
            )
            self._bar.__enter__()
        step = progress.made - self._bar.pos
        self._bar.update(step, self._status)
        # click redraws only on a step; the counts beside the bar moved all the same
        if not step:
            self._bar.render_progress()


class LabelledBar:
    """A progress bar per labelled piece of work (a new bar when the label changes); silent
    when output is piped."""

    def __init__(self) -> None:
        self._bar = None
        self._label = ""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._close()

    def __call__(self, label: str, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self._bar is None or label != self._label:
            self._close()
            self._label = label
            self._bar = click.progressbar(
                length=total,
                label=label[:40],
                file=sys.stderr,
                show_pos=True,
                show_eta=True,
            )
            self._bar.__enter__()
        self._bar.update(done - self._bar.pos)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def print_split(
    source: str,
    read: SourceRead,
    reports: Sequence[SplitReport],
    scripts_dir: Path,
    *,
    verbose: bool,
) -> None:
    """What `split` made of one source: per article what was dropped, the scripts kept because
    they were edited by hand (these on stderr), and how many scripts were written."""
    from audioguide import article
    from audioguide.sources import is_url

    for note in read.notes:
        # Article notes arrive as "name: note"; what was dropped is summed up per article below.
        if verbose or not article.dropped_summary([note.split(": ", 1)[-1]]):
            click.echo(f"Warning: {note}", err=True)
    one_file = len(read.episodes) == 1 and not is_url(source)
    for (parsed, _), report in zip(read.episodes, reports):
        label = Path(source).name if one_file else parsed.slug
        click.echo(
            f"{label}: dropped {article.dropped_summary(parsed.notes) or 'nothing'}",
            err=True,
        )
        for name in report.kept:
            click.echo(
                f"Kept {parsed.slug}/{name}: edited by hand (use --force to overwrite)",
                err=True,
            )
        click.echo(
            f"{label}: {len(parsed.sections)} sections -> {scripts_dir / parsed.slug} "
            f"({len(report.written)} written, {len(report.unchanged)} unchanged, "
            f"{len(report.kept)} kept)"
        )


def print_build(report: BuildReport) -> None:
    """The build's warnings (on stderr), one line per episode, and the totals."""
    for note in report.notes:
        click.echo(f"Warning: {note}", err=True)
    for episode in report.episodes:
        state = "rebuilt" if episode.rebuilt else "unchanged"
        loudness = (
            f", {episode.loudness_lufs:.1f} LUFS"
            if episode.loudness_lufs is not None
            else ""
        )
        click.echo(
            f"{episode.slug}.mp3: {state}, {episode.chapters} chapters, "
            f"{clock(episode.duration_ms)}{loudness}"
        )
    click.echo(
        f"Spoke {report.spoken} utterances, {report.cached} from cache; "
        f"{report.audio_ms / 60000:.1f} min of audio in {report.seconds:.1f} s -> "
        f"{report.output_dir}"
    )


def print_dry_run(episodes: Sequence[EpisodeEstimate]) -> None:
    """What a build would make: each episode's sections (those to make starred), words and
    estimated length, then the totals."""
    for episode in episodes:
        state = (
            f"{episode.to_make} of {len(episode.sections)} chapters to make"
            if episode.rebuild
            else "unchanged"
        )
        click.echo(f"{episode.title} ({episode.slug}): {state}")
        for section in episode.sections:
            mark = "*" if section.make else " "
            click.echo(
                f" {mark}{section.title[:60]:<60} {section.words:>6} words  ~{clock(section.ms)}"
            )
        click.echo(f"  {'total':<60} {episode.words:>6} words  ~{clock(episode.ms)}")
    to_make = sum(e.to_make for e in episodes)
    chapters = sum(len(e.sections) for e in episodes)
    rebuilt = sum(e.rebuild for e in episodes)
    click.echo(
        f"Would make {to_make} of {chapters} chapters (* above) and write {rebuilt} of "
        f"{len(episodes)} episodes; ~{clock(sum(e.ms for e in episodes))} of audio in all."
    )


def print_proof(report: ProofReport) -> None:
    """The proof as a table: error rates per episode and chapter, each suspect word and slip
    at its time, then the guide's totals."""
    from audioguide.proof import chapter_link

    for episode in report.episodes:
        words = sum(c.words for c in episode.chapters)
        click.echo(
            f"{episode.title} ({episode.slug}): WER {episode.wer:.2%}, "
            f"CER {episode.cer:.2%} of {words} words"
        )
        for chapter in episode.chapters:
            click.echo(
                f"  {chapter.number:>3}  {clock(chapter.start_ms):>7}  WER {chapter.wer:>6.1%}  "
                f"{chapter.title[:44]:<44}  {chapter_link(episode.slug, chapter.number)}"
            )
            found = [("", s) for s in chapter.suspects] + [
                ("slip: ", s) for s in chapter.slips
            ]
            for kind, suspect in sorted(found, key=lambda pair: pair[1].start_ms):
                heard = f'"{suspect.heard}"' if suspect.heard else "nothing"
                click.echo(
                    f"       {clock(suspect.start_ms):>7}  {kind + suspect.word:<24} "
                    f"heard as {heard} ({suspect.count} of {suspect.occurrences})"
                )
    suspects = sum(len(c.suspects) for e in report.episodes for c in e.chapters)
    slips = sum(len(c.slips) for e in report.episodes for c in e.chapters)
    blamed = sum(len(c.recogniser) for e in report.episodes for c in e.chapters)
    reference = (
        f"; {blamed} more blamed on the recogniser "
        f"(the reference voice {report.reference_voice} is misheard there too)"
        if report.reference_voice
        else "; no reference voice to tell the recogniser's mishearings apart"
    )
    click.echo(
        f"Guide: WER {report.wer:.2%}, CER {report.cer:.2%}; "
        f"{suspects} suspect words, {slips} slips{reference}"
    )


def print_fixes(fixes: Sequence[Fix], scripts: Path | None) -> None:
    """Each respelling written to the lexicon, or why a word was left as it was."""
    written = [f for f in fixes if f.respelling]
    for found in fixes:
        if found.respelling:
            click.echo(
                f'Respelled {found.word} as "{found.respelling}": heard as written in '
                f"{found.tried - found.failed} of {found.tried} sentences tried"
            )
        else:
            click.echo(f"Left {found.word}: {found.note}")
    if written:
        lexicon = scripts / "lexicon.toml" if scripts else "the lexicon"
        click.echo(
            f"Wrote {len(written)} entries to {lexicon}; "
            "run `audioguide build` to re-speak the sentences that have them"
        )


def print_voices(voices: Sequence[VoiceInfo]) -> None:
    """A table of voices: engine, voice, language, rate, whether it needs the network, and
    whether it can run here (and if not, why)."""
    rows = [
        (
            v.engine,
            v.voice,
            v.language,
            f"{v.sample_rate} Hz",
            "offline" if v.offline else "online",
            "yes" if v.available else f"no: {v.reason}",
        )
        for v in voices
    ]
    header = ("ENGINE", "VOICE", "LANGUAGE", "RATE", "NEEDS", "CAN RUN HERE")
    widths = [
        max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)
    ]
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row, widths)]
        click.echo("  ".join([*cells, str(row[-1])]))
