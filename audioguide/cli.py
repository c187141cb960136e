"""The `audioguide` command: a thin click layer over the library.

Each command parses its options, calls one library function and reports. Any `AudioguideError`
becomes a one-line `Error: ...` and exit status 1; Ctrl-C ends with a one-line message and 130.
"""

from __future__ import annotations

from pathlib import Path

import click

from audioguide import __version__, terminal
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
    from audioguide.split import split_source

    for source in articles:
        read, reports = split_source(source, scripts_dir, force=force, latest=latest)
        terminal.print_split(source, read, reports, scripts_dir, verbose=verbose)


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

        terminal.print_dry_run(plan_only(list(sources), options))
        return
    with terminal.ProgressBar() as progress:
        report = builder.build(list(sources), options, progress=progress)
    terminal.print_build(report)


def _cache_location(value: str | None) -> Path | str | None:
    """A cache URL as given; anything else is a folder."""
    return value if value is None or "://" in value else Path(value)


@cli.command()
@click.argument("mp3", type=click.Path(dir_okay=False, path_type=Path))
def chapters(mp3: Path) -> None:
    """Print the chapters stored in an MP3: start, end and title.

    Example: audioguide chapters output/microneedling.mp3
    """
    from audioguide.tags import read_chapters

    for mark in read_chapters(mp3):
        click.echo(f"{terminal.clock(mark.start_ms, precise=True)}  {terminal.clock(mark.end_ms, precise=True)}  {mark.title}")


@cli.command()
def voices() -> None:
    """List speech engines and voices, and whether each can run here.

    Example: audioguide voices
    """
    from audioguide.engines import list_voices

    terminal.print_voices(list_voices())


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

    with terminal.LabelledBar() as progress:
        report = proofing.proof(list(sources), output_dir, model=model, progress=progress)
    if json_file is not None:
        text = json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n"
        if str(json_file) == "-":
            click.echo(text, nl=False)
        else:
            write_atomic(json_file, text)
    if json_file is None or str(json_file) != "-":
        terminal.print_proof(report)
    if fix:
        from audioguide import respell

        with terminal.LabelledBar() as progress:
            fixes = respell.fix(report, model=model, progress=progress)
        terminal.print_fixes(fixes, report.scripts)


def main() -> None:
    cli(prog_name="audioguide")
