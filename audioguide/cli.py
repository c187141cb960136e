"""The `audioguide` command: a thin click layer over the library.

Each command parses its options, calls one library function and reports. Any `AudioguideError`
becomes a one-line `Error: ...` and exit status 1; Ctrl-C ends with a one-line message and 130.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from audioguide import __version__
from audioguide.errors import AudioguideError


class _Command(click.Group):
    """Turns library errors and Ctrl-C into one line each, never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except AudioguideError as error:
            raise click.ClickException(str(error)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted; the previous output is left as it was.", err=True)
            ctx.exit(130)


@click.group(cls=_Command)
@click.version_option(__version__, prog_name="audioguide")
def cli() -> None:
    """Turn written articles into chaptered audio guides and a podcast feed.

    \b
    Typical use:
      audioguide split my-article.md        # write editable narration scripts
      audioguide build                      # speak them into output/
      audioguide serve                      # listen on your phone
    """


_LATEST = click.option(
    "--latest", type=click.IntRange(1), metavar="N", help="Of a feed, take only the newest N entries."
)


@cli.command()
@click.argument("articles", nargs=-1, required=True)
@click.option(
    "--scripts-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("scripts"),
    show_default=True,
    help="Folder that receives one sub-folder of scripts per article.",
)
@click.option("--force", is_flag=True, help="Overwrite scripts you edited by hand.")
@click.option("-v", "--verbose", is_flag=True, help="Say in full what was dropped from each article.")
@_LATEST
def split(articles: tuple[str, ...], scripts_dir: Path, force: bool, verbose: bool, latest: int | None) -> None:
    """Write one editable narration script per section of each ARTICLE.

    ARTICLE is a plain-text (bare-line headings), Markdown or HTML file, a page URL, an RSS or
    Atom feed (URL or file: one folder per entry) or an EPUB (one folder per chapter, or one
    for a short book). Scripts you edited by hand are kept unless --force is given, also when
    a later fetch finds the page changed. One line per article says what was not read aloud
    (navigation, a table of contents, boilerplate, text the voice cannot say ...); --verbose
    quotes it.

    Example: audioguide split https://blog.example/feed.xml --latest 3 --scripts-dir scripts
    """
    from audioguide import article
    from audioguide.sources import is_url
    from audioguide.split import split_source

    for source in articles:
        read, reports = split_source(source, scripts_dir, force=force, latest=latest)
        for note in read.notes:
            # Article notes arrive as "name: note"; what was dropped is summed up per article below.
            if verbose or not article.dropped_summary([note.split(": ", 1)[-1]]):
                click.echo(f"Warning: {note}", err=True)
        one_file = len(read.episodes) == 1 and not is_url(source)
        for (parsed, _), report in zip(read.episodes, reports):
            label = Path(source).name if one_file else parsed.slug
            click.echo(f"{label}: dropped {article.dropped_summary(parsed.notes) or 'nothing'}", err=True)
            for name in report.kept:
                click.echo(f"Kept {parsed.slug}/{name}: edited by hand (use --force to overwrite)", err=True)
            click.echo(
                f"{label}: {len(parsed.sections)} sections -> {scripts_dir / parsed.slug} "
                f"({len(report.written)} written, {len(report.unchanged)} unchanged, "
                f"{len(report.kept)} kept)"
            )


@cli.command()
@click.argument("sources", nargs=-1)
@click.option(
    "-o",
    "--output",
    "output_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder for the feed, MP3s and player page.",
)
@click.option(
    "--engine",
    help="Speech engine for the whole build, titles and every episode (see `audioguide voices`); "
    "default: the guide's.",
)
@click.option(
    "--voice",
    help="Voice for the whole build; default: the guide's, else the engine's voice for the language.",
)
@click.option("--speed", type=click.FloatRange(0.5, 2.0), help="Speaking rate of every voice, 1.0 = natural.")
@click.option("--base-url", help="Public URL the output folder is served from.")
@click.option(
    "-j", "--jobs", type=click.IntRange(1, 64),
    help="Chapters made at once, by threads of this process [default: one per core].",
)
@click.option(
    "--cache-dir",
    envvar="AUDIOGUIDE_CACHE_DIR",
    help="Speech cache: a folder, or an fsspec URL such as s3://bucket/prefix that a cluster's "
    "workers share [env: AUDIOGUIDE_CACHE_DIR; default: user cache dir].",
)
@click.option(
    "--split-long", is_flag=True,
    help="Make an article of more than 255 sections several episodes instead of refusing it.",
)
@_LATEST
@click.option(
    "--prune", is_flag=True,
    help="Drop episodes whose entries are no longer in their feed (by default they stay).",
)
@click.option(
    "--scheduler", envvar="AUDIOGUIDE_SCHEDULER", metavar="ADDRESS",
    help="Make the chapters on the Dask cluster of this scheduler (tcp://host:8786), whose workers "
    "have audioguide installed and share --cache-dir [env: AUDIOGUIDE_SCHEDULER].",
)
@click.option(
    "--local-cluster", type=click.IntRange(1, 256), metavar="N",
    help="Make the chapters on a Dask cluster of N one-thread worker processes started here.",
)
@click.option(
    "--dry-run", is_flag=True,
    help="Show sections, words, estimated length and how many chapters would be made; make nothing.",
)
def build(
    sources: tuple[str, ...],
    output_dir: Path,
    engine: str | None,
    voice: str | None,
    speed: float | None,
    base_url: str | None,
    jobs: int | None,
    cache_dir: str | None,
    split_long: bool,
    latest: int | None,
    prune: bool,
    scheduler: str | None,
    local_cluster: int | None,
    dry_run: bool,
) -> None:
    """Speak narration scripts (or articles) into a chaptered MP3 per episode and a feed.

    SOURCES are scripts folders, article files, page URLs, RSS or Atom feeds (URL or file: one
    episode per entry) or EPUBs (default: scripts/). Only sections whose script, voice or
    settings changed are spoken again; a feed's entries that left it stay in the podcast unless
    --prune. Voices come from guide.toml (engine, voice, speed; title_engine and title_voice for
    chapter titles) and each episode.toml (engine, voice, speed); an empty voice is the
    engine's voice for the episode's language.

    \b
    Example: audioguide build scripts --output output --base-url https://example.org/guide
    Example: audioguide build https://blog.example/feed.xml --latest 5
    On a Dask cluster (pip install "audioguide[cluster]"):
      audioguide build articles/*.md --scheduler tcp://10.0.0.5:8786 \\
        --cache-dir s3://bucket/audioguide-cache
    """
    from audioguide import build as builder

    options = builder.BuildOptions(
        output_dir=output_dir,
        engine=engine,
        voice=voice,
        speed=speed,
        base_url=base_url,
        jobs=jobs,
        cache_dir=_cache_location(cache_dir),
        split_long=split_long,
        latest=latest,
        prune=prune,
        scheduler=scheduler,
        local_cluster=local_cluster,
    )
    if dry_run:
        from audioguide.plan import dry_run as plan_only

        _print_dry_run(plan_only(list(sources), options))
        return
    with _ProgressBar() as progress:
        report = builder.build(list(sources), options, progress=progress)
    for note in report.notes:
        click.echo(f"Warning: {note}", err=True)
    for episode in report.episodes:
        state = "rebuilt" if episode.rebuilt else "unchanged"
        loudness = (
            f", {episode.loudness_lufs:.1f} LUFS" if episode.loudness_lufs is not None else ""
        )
        click.echo(
            f"{episode.slug}.mp3: {state}, {episode.chapters} chapters, "
            f"{_clock(episode.duration_ms)}{loudness}"
        )
    click.echo(
        f"Spoke {report.spoken} utterances, {report.cached} from cache; "
        f"{report.audio_ms / 60000:.1f} min of audio in {report.seconds:.1f} s -> "
        f"{report.output_dir}"
    )


def _cache_location(value: str | None) -> Path | str | None:
    """A cache URL as given; anything else is a folder."""
    return value if value is None or "://" in value else Path(value)


def _print_dry_run(episodes) -> None:
    for episode in episodes:
        state = f"{episode.to_make} of {len(episode.sections)} chapters to make" if episode.rebuild else "unchanged"
        click.echo(f"{episode.title} ({episode.slug}): {state}")
        for section in episode.sections:
            mark = "*" if section.make else " "
            click.echo(
                f" {mark}{section.title[:60]:<60} {section.words:>6} words  ~{_clock(section.ms)}"
            )
        click.echo(f"  {'total':<60} {episode.words:>6} words  ~{_clock(episode.ms)}")
    to_make = sum(e.to_make for e in episodes)
    chapters = sum(len(e.sections) for e in episodes)
    rebuilt = sum(e.rebuild for e in episodes)
    click.echo(
        f"Would make {to_make} of {chapters} chapters (* above) and write {rebuilt} of "
        f"{len(episodes)} episodes; ~{_clock(sum(e.ms for e in episodes))} of audio in all."
    )


class _ProgressBar:
    """One progress bar over the chapters a build makes, with the whole build's episodes and
    chapters and the pace in minutes of audio per minute; silent when output is piped."""

    def __init__(self) -> None:
        self._bar = None
        self._status = ""

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def __call__(self, progress) -> None:
        if not sys.stderr.isatty() or not progress.to_make:
            return
        pace = progress.made_ms / 60000 / (progress.seconds / 60) if progress.seconds > 0 else 0.0
        self._status = (
            f"episodes {progress.episodes_done}/{progress.episodes}, "
            f"chapters {progress.chapters_done}/{progress.chapters}, {pace:.1f} min of audio/min"
        )
        if self._bar is None:
            self._bar = click.progressbar(
                length=progress.to_make, label="Making chapters", file=sys.stderr, show_pos=True,
                show_eta=True, item_show_func=lambda _: self._status,
            )
            self._bar.__enter__()
        step = progress.made - self._bar.pos
        self._bar.update(step, self._status)
        if not step:  # click redraws only on a step; the counts beside the bar moved all the same
            self._bar.render_progress()


class _LabelledBar:
    """A progress bar per labelled piece of work (a new bar when the label changes); silent when
    output is piped."""

    def __init__(self) -> None:
        self._bar = None
        self._label = ""

    def __enter__(self) -> _LabelledBar:
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
                length=total, label=label[:40], file=sys.stderr, show_pos=True, show_eta=True
            )
            self._bar.__enter__()
        self._bar.update(done - self._bar.pos)

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@cli.command()
@click.argument("mp3", type=click.Path(dir_okay=False, path_type=Path))
def chapters(mp3: Path) -> None:
    """Print the chapters stored in an MP3: start, end and title.

    Example: audioguide chapters output/microneedling.mp3
    """
    from audioguide.tags import read_chapters

    for mark in read_chapters(mp3):
        click.echo(f"{_clock(mark.start_ms, precise=True)}  {_clock(mark.end_ms, precise=True)}  {mark.title}")


@cli.command()
def voices() -> None:
    """List speech engines and voices, and whether each can run here.

    Example: audioguide voices
    """
    from audioguide.engines import list_voices

    rows = [
        (
            v.engine,
            v.voice,
            v.language,
            f"{v.sample_rate} Hz",
            "offline" if v.offline else "online",
            "yes" if v.available else f"no: {v.reason}",
        )
        for v in list_voices()
    ]
    header = ("ENGINE", "VOICE", "LANGUAGE", "RATE", "NEEDS", "CAN RUN HERE")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [str(c).ljust(w) for c, w in zip(row, widths)]
        click.echo("  ".join([*cells, str(row[-1])]))


@cli.command()
@click.argument("text")
@click.option("--engine", default="piper", show_default=True, help="Speech engine.")
@click.option("--voice", help="Voice of the engine.")
@click.option("--speed", type=click.FloatRange(0.5, 2.0), default=1.0, show_default=True)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="Write an MP3 or WAV file (by extension) instead of playing.",
)
def say(text: str, engine: str, voice: str | None, speed: float, output: Path | None) -> None:
    """Speak one line, to audition a voice.

    Plays it where a player is installed, else writes say.wav.

    Example: audioguide say "Welcome to the tour." --engine piper -o welcome.mp3
    """
    from audioguide.audition import audition

    written = audition(text, engine=engine, voice=voice, speed=speed, output=output)
    if written is not None:
        click.echo(f"Wrote {written}")


@cli.command()
@click.argument(
    "output_dir", required=False, default=Path("output"),
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--no-loudness", is_flag=True, help="Skip measuring loudness (the slow part).")
def check(output_dir: Path, no_loudness: bool) -> None:
    """Check a built guide the way a podcast directory would; list every problem.

    Warnings (advice such as a missing owner e-mail) are printed but do not fail the check.

    Example: audioguide check output
    """
    from audioguide.check import check_output

    problems = check_output(output_dir, loudness=not no_loudness)
    for problem in problems:
        click.echo(str(problem))
    errors = [p for p in problems if not p.warning]
    if errors:
        raise click.ClickException(f"{len(errors)} problem(s) found in {output_dir}")
    click.echo(f"{output_dir}: no problems found")


@cli.command()
@click.argument(
    "output_dir", required=False, default=Path("output"),
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--lan", is_flag=True, help="Serve the local network and show a QR code.")
def serve(output_dir: Path, host: str, port: int, lan: bool) -> None:
    """Serve the feed, audio and player page (with byte ranges) to a phone.

    Example: audioguide serve output --lan
    """
    from audioguide.serve import serve as run_server

    run_server(output_dir, host="0.0.0.0" if lan else host, port=port, echo=click.echo)


@cli.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
    default=Path("output"), show_default=True, help="Folder the guide was built into.",
)
@click.option("--json", "json_file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="Also write the report as JSON to FILE ('-': standard output, instead of the table).")
@click.option("--fix", is_flag=True, help="Find respellings for the suspects and add them to lexicon.toml.")
@click.option(
    "--model", type=click.Path(file_okay=False, path_type=Path), envvar="AUDIOGUIDE_PROOF_MODEL",
    help="A local Whisper model in CTranslate2 form [env: AUDIOGUIDE_PROOF_MODEL; default: the packaged tiny.en].",
)
def proof(sources: tuple[Path, ...], output_dir: Path, json_file: Path | None, fix: bool, model: Path | None) -> None:
    """Hear the built guide back offline and list the words its voice got wrong.

    Each episode in OUTPUT is heard by a speech recogniser and compared, chapter by chapter, with
    the scripts in SOURCES (default: scripts/): word and character error rates, and the suspect
    words with where they are heard and as what. With --fix, respellings the recogniser hears as
    the written word are added to the guide's lexicon.toml; build again to re-speak them.
    Needs the proof extra: pip install 'audioguide[proof]'.

    Example: audioguide proof scripts --output output --fix
    """
    import json

    from audioguide import proof as proofing
    from audioguide.files import write_atomic

    with _LabelledBar() as progress:
        report = proofing.proof(list(sources), output_dir, model=model, progress=progress)
    if json_file is not None:
        text = json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n"
        if str(json_file) == "-":
            click.echo(text, nl=False)
        else:
            write_atomic(json_file, text)
    if json_file is None or str(json_file) != "-":
        _print_proof(report)
    if fix:
        from audioguide import respell

        with _LabelledBar() as progress:
            fixes = respell.fix(report, progress=progress)
        _print_fixes(fixes, report.scripts)


def _print_proof(report) -> None:
    from audioguide.proof import chapter_link

    for episode in report.episodes:
        words = sum(c.words for c in episode.chapters)
        click.echo(f"{episode.title} ({episode.slug}): WER {episode.wer:.2%}, CER {episode.cer:.2%} of {words} words")
        for chapter in episode.chapters:
            click.echo(
                f"  {chapter.number:>3}  {_clock(chapter.start_ms):>7}  WER {chapter.wer:>6.1%}  "
                f"{chapter.title[:44]:<44}  {chapter_link(episode.slug, chapter.number)}"
            )
            found = [("", s) for s in chapter.suspects] + [("slip: ", s) for s in chapter.slips]
            for kind, suspect in sorted(found, key=lambda pair: pair[1].start_ms):
                heard = f'"{suspect.heard}"' if suspect.heard else "nothing"
                click.echo(
                    f"       {_clock(suspect.start_ms):>7}  {kind + suspect.word:<24} heard as {heard} "
                    f"({suspect.count} of {suspect.occurrences})"
                )
    suspects = sum(len(c.suspects) for e in report.episodes for c in e.chapters)
    slips = sum(len(c.slips) for e in report.episodes for c in e.chapters)
    blamed = sum(len(c.recogniser) for e in report.episodes for c in e.chapters)
    reference = f"; {blamed} more blamed on the recogniser (the reference voice {report.reference_voice} is misheard there too)" \
        if report.reference_voice else "; no reference voice to tell the recogniser's mishearings apart"
    click.echo(f"Guide: WER {report.wer:.2%}, CER {report.cer:.2%}; {suspects} suspect words, {slips} slips{reference}")


def _print_fixes(fixes, scripts: Path | None) -> None:
    written = [f for f in fixes if f.respelling]
    for found in fixes:
        if found.respelling:
            click.echo(f'Respelled {found.word} as "{found.respelling}": heard as written in '
                       f"{found.tried - found.failed} of {found.tried} sentences tried")
        else:
            click.echo(f"Left {found.word}: {found.note}")
    if written:
        click.echo(f"Wrote {len(written)} entries to {scripts / 'lexicon.toml' if scripts else 'the lexicon'}; "
                   "run `audioguide build` to re-speak the sentences that have them")


def _clock(ms: int, *, precise: bool = False) -> str:
    seconds, millis = divmod(ms, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    return f"{text}.{millis:03d}" if precise else text


def main() -> None:
    cli(prog_name="audioguide")
