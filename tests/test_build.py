"""End to end: scripts and articles in, a chaptered MP3 and a feed out, rebuilt incrementally."""

from __future__ import annotations

import dataclasses
import errno
import ipaddress
import shutil
import socket
from pathlib import Path

import feedparser
import mutagen.mp3
import numpy as np
import podcastparser
import pytest

from audioguide.build import MANIFEST_FILE, BuildOptions, build
from audioguide.guide import load_guide, pauses_of, read_episode_script
from audioguide.errors import AudioguideError
from audioguide.tags import read_chapters
from tests.media import decode_mp3, ffmpeg_chapters, mpeg_audio


def _script_titles(scripts: Path, slug: str) -> list[str]:
    files = sorted((scripts / slug).glob("[0-9]*.txt"))
    return [f.read_text(encoding="utf-8").splitlines()[0].removeprefix("# ").strip() for f in files]


def test_bundled_guide_has_one_chapter_per_section(bundled_guide):
    scripts, output, report = bundled_guide
    mp3s = sorted(output.glob("*.mp3"))
    assert [m.name for m in mp3s] == ["microneedling.mp3"]
    assert (output / "feed.xml").exists()
    titles = _script_titles(scripts, "microneedling")
    assert len(titles) == 18
    assert [c.title for c in read_chapters(mp3s[0])] == titles
    assert [c[2] for c in ffmpeg_chapters(mp3s[0])] == titles
    assert report.episodes[0].chapters == 18


def test_chapters_are_contiguous_and_start_in_silence(bundled_guide):
    _, output, _ = bundled_guide
    mp3 = output / "microneedling.mp3"
    samples, rate = decode_mp3(mp3)
    length_ms = mutagen.mp3.MP3(mp3).info.length * 1000
    marks = read_chapters(mp3)
    assert marks[0].start_ms == 0
    for before, after in zip(marks, marks[1:]):
        assert before.end_ms == after.start_ms
    # The MP3 decodes ~50 ms longer than the PCM (encoder padding): the tolerance of the issue.
    assert abs(marks[-1].end_ms - length_ms) <= 50 + 1152 * 1000 / rate
    # ffmpeg-based players shift chapters by the encoder delay (~50 ms); they must still land
    # in the pause before each title, as the stored times do.
    ffmpeg_starts = [round(c[0] * 1000) for c in ffmpeg_chapters(mp3)]
    assert all(abs(a - m.start_ms) <= 60 for a, m in zip(ffmpeg_starts, marks, strict=True))
    peak = np.abs(samples).max()
    for start_ms, mark in [*zip(ffmpeg_starts[1:], marks[1:]), *((m.start_ms, m) for m in marks[1:])]:
        start = int(start_ms * rate / 1000)
        window = samples[start - rate // 10 : start]
        rms = np.sqrt(np.mean(window**2))
        assert rms < 0.01 * peak, f"audio before chapter {mark.title!r} at {start_ms} ms is not silent"


def test_feed_parses_with_real_clients(bundled_guide):
    _, output, _ = bundled_guide
    feed_bytes = (output / "feed.xml").read_bytes()
    parsed = feedparser.parse(feed_bytes)
    assert not parsed.bozo, parsed.get("bozo_exception")
    podcast = podcastparser.parse("http://example.org/feed.xml", __import__("io").BytesIO(feed_bytes))
    (episode,) = podcast["episodes"]
    mp3 = output / "microneedling.mp3"
    (enclosure,) = episode["enclosures"]
    assert enclosure["file_size"] == mp3.stat().st_size
    assert abs(episode["total_time"] - mutagen.mp3.MP3(mp3).info.length) <= 1
    assert episode["guid"]


def test_no_op_rebuild_speaks_and_writes_nothing(bundled_guide, session_cache):
    scripts, output, _ = bundled_guide
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in output.iterdir() if p.is_file()}
    report = build([scripts], BuildOptions(output_dir=output, cache_dir=session_cache))
    assert report.spoken == 0
    assert [e.rebuilt for e in report.episodes] == [False]
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in output.iterdir() if p.is_file()}
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], f"{name} was rewritten"


@pytest.mark.slow
def test_edit_respeaks_one_section_and_matches_a_clean_build(bundled_guide, tmp_path, session_cache):
    scripts, output, _ = bundled_guide
    edited_scripts = tmp_path / "scripts"
    shutil.copytree(scripts, edited_scripts)
    edited_output = tmp_path / "output"
    shutil.copytree(output, edited_output)
    target = sorted((edited_scripts / "microneedling").glob("[0-9]*.txt"))[5]
    target.write_text(
        target.read_text(encoding="utf-8") + "\nThis sentence was added by an editor.\n",
        encoding="utf-8",
    )
    segments_before = set(session_cache.glob("segment-v1/*/*.seg"))
    report = build([edited_scripts], BuildOptions(output_dir=edited_output, cache_dir=session_cache))
    assert report.spoken == 1
    assert report.episodes[0].rebuilt
    new_segments = set(session_cache.glob("segment-v1/*/*.seg")) - segments_before
    assert len(new_segments) == 1, "only the edited chapter is mastered and encoded again"

    clean_output = tmp_path / "clean"
    clean = build([edited_scripts], BuildOptions(output_dir=clean_output, cache_dir=tmp_path / "empty-cache"))
    # Chapters are made apart: a text heard again later in the guide is found in the cache.
    guide = load_guide([edited_scripts])
    script = read_episode_script(guide.sources[0], pauses_of(guide.settings))
    texts = [u.text for chapter in script.chapters for u in chapter.utterances]
    assert clean.spoken + clean.cached == len(texts)
    assert clean.cached <= len(texts) - len(set(texts))
    incremental, _ = decode_mp3(edited_output / "microneedling.mp3")
    fresh, _ = decode_mp3(clean_output / "microneedling.mp3")
    assert np.array_equal(incremental, fresh)
    assert mpeg_audio(edited_output / "microneedling.mp3") == mpeg_audio(clean_output / "microneedling.mp3")
    assert read_chapters(edited_output / "microneedling.mp3") == read_chapters(clean_output / "microneedling.mp3")


def test_markdown_and_html_articles_build_to_the_same_structure(tmp_path):
    markdown = tmp_path / "tour.md"
    markdown.write_text(
        "# The Harbour Walk\n\nA short walk along the old harbour.\n\n"
        "## The Lighthouse\n\nThe lighthouse was built of local granite.\n\n"
        "## The Fish Market\n\nFishermen sell the morning catch here.\n",
        encoding="utf-8",
    )
    html = tmp_path / "tour.html"
    html.write_text(
        "<html><head><title>The Harbour Walk</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/tours'>Tours</a></nav>"
        "<h1>The Harbour Walk</h1><p>A short walk along the old harbour.</p>"
        "<h2>The Lighthouse</h2><p>The lighthouse was built of local granite.</p>"
        "<h2>The Fish Market</h2><p>Fishermen sell the morning catch here.</p>"
        "<footer>Copyright the harbour board</footer></body></html>",
        encoding="utf-8",
    )
    results = []
    for source in (markdown, html):
        output = tmp_path / f"out-{source.suffix[1:]}"
        report = build([source], BuildOptions(output_dir=output))
        (episode,) = report.episodes
        results.append([c.title for c in read_chapters(output / f"{episode.slug}.mp3")])
    assert results[0] == results[1]
    assert results[0][-2:] == ["The Lighthouse", "The Fish Market"]


def test_removed_episode_files_are_deleted(tmp_path):
    article = tmp_path / "short.md"
    article.write_text("# Short\n\n## One\n\nA single sentence.\n", encoding="utf-8")
    output = tmp_path / "out"
    build([article], BuildOptions(output_dir=output))
    other = tmp_path / "other.md"
    other.write_text("# Other\n\n## Two\n\nAnother sentence.\n", encoding="utf-8")
    build([other], BuildOptions(output_dir=output))
    assert not (output / "short.mp3").exists()
    assert (output / "other.mp3").exists()


def test_two_episodes_with_one_slug_are_refused(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "same.md").write_text("# Same\n\nText here.\n", encoding="utf-8")
    with pytest.raises(AudioguideError, match="slug"):
        load_guide([tmp_path / "a" / "same.md", tmp_path / "b" / "same.md"])


def test_a_second_build_on_a_locked_output_fails_clearly(bundled_guide, tmp_path):
    import filelock

    scripts, output, _ = bundled_guide
    lock = filelock.FileLock(str(output / ".audioguide.lock"))
    with lock:
        with pytest.raises(AudioguideError, match="another build is running"):
            build([scripts], BuildOptions(output_dir=output))
    assert (output / MANIFEST_FILE).exists()


def _many_sections(path: Path, count: int) -> None:
    path.write_text(
        "# Many\n\n" + "".join(f"## Stop {n}\n\nLook left.\n\n" for n in range(count)),
        encoding="utf-8",
    )


def test_more_than_255_chapters_is_refused_or_split_into_parts(tmp_path, plugins):
    article = tmp_path / "many.md"
    _many_sections(article, 300)
    options = BuildOptions(output_dir=tmp_path / "out", engine="beeps", voice="square")
    with pytest.raises(AudioguideError, match="at most 255.*--split-long"):
        build([article], options)
    report = build([article], dataclasses.replace(options, split_long=True))
    assert [e.slug for e in report.episodes] == ["many-part-1", "many-part-2"]
    assert [e.chapters for e in report.episodes] == [255, 45]
    part2 = read_chapters(tmp_path / "out" / "many-part-2.mp3")
    assert part2[0].title == "Stop 255"


def _is_address(host: object) -> bool:
    try:
        ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return True


@pytest.fixture
def offline(monkeypatch):
    """The network is unreachable from this process: only loopback addresses can be reached.
    (Worker processes are not covered, so builds under it use jobs=1.)"""

    def loopback(host: object) -> bool:
        if host in ("localhost", "", None):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False  # a host name: resolving it would use the network

    def guard(real):
        def connect(sock, address):
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not loopback(address[0]):
                raise OSError(errno.ENETUNREACH, f"network unreachable in tests: {address[0]}")
            return real(sock, address)

        return connect

    def getaddrinfo(host, *args, **kwargs):
        if not loopback(host) and not _is_address(host):
            raise socket.gaierror(socket.EAI_NONAME, f"no name resolution in tests: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", guard(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(socket.socket.connect_ex))
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_the_offline_guard_blocks_the_network_but_not_loopback(offline):
    import urllib.request

    from audioguide import engines
    from audioguide.errors import EngineError
    from audioguide.model import EngineSpec

    with pytest.raises(OSError, match="unreachable"):
        socket.create_connection(("192.0.2.1", 443), timeout=5)
    with pytest.raises(OSError):
        urllib.request.urlopen("https://translate.google.com/", timeout=5)
    with pytest.raises(EngineError, match="internet"):
        engines.get_engine(EngineSpec("gtts")).synthesize("Hello.")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=5).close()


def _texts(scripts: Path) -> list[str]:
    guide = load_guide([scripts])
    return [
        u.text
        for s in guide.sources
        for c in read_episode_script(s, pauses_of(guide.settings)).chapters
        for u in c.utterances
    ]


@pytest.mark.slow
def test_switching_engine_respeaks_everything_and_back_is_all_cache_hits(
    bundled_guide, session_cache, tmp_path, offline
):
    scripts, piper_output, _ = bundled_guide
    texts = _texts(scripts)
    total = len(texts)
    output = tmp_path / "output"
    shutil.copytree(piper_output, output)

    hibari = build([scripts], BuildOptions(output_dir=output, cache_dir=session_cache, engine="hibari", jobs=1))
    # Each text is spoken once; a chapter made later that says it again finds it in the cache.
    assert (hibari.spoken, hibari.cached) == (len(set(texts)), total - len(set(texts)))
    assert [e.rebuilt for e in hibari.episodes] == [True]
    samples, rate = decode_mp3(output / "microneedling.mp3")
    assert rate == 24000 and abs(len(samples) / rate * 1000 - hibari.episodes[0].duration_ms) <= 1
    assert [c.title for c in read_chapters(output / "microneedling.mp3")] == _script_titles(scripts, "microneedling")

    piper = build([scripts], BuildOptions(output_dir=output, cache_dir=session_cache, engine="piper", jobs=1))
    assert (piper.spoken, piper.cached) == (0, total)
    assert [e.rebuilt for e in piper.episodes] == [True]
    back, _ = decode_mp3(output / "microneedling.mp3")
    first, _ = decode_mp3(piper_output / "microneedling.mp3")
    assert np.array_equal(back, first), "the cache gives back the very same speech"


def _write_guide(root: Path, guide: str, episodes: dict[str, str]) -> Path:
    """A scripts folder: guide.toml, and per episode its episode.toml and three short sections."""
    scripts = root / "scripts"
    scripts.mkdir(parents=True)
    (scripts / "guide.toml").write_text(guide, encoding="utf-8")
    for slug, extra in episodes.items():
        folder = scripts / slug
        folder.mkdir()
        (folder / "episode.toml").write_text(f'title = "The {slug.title()} Walk"\nslug = "{slug}"\n{extra}', encoding="utf-8")
        sections = [
            ("The Harbour", "A short walk along the old harbour."),
            ("The Lighthouse", "The lighthouse was built of local granite. It still shines at night."),
            ("The Fish Market", "Fishermen sell the morning catch here."),
        ]
        for number, (title, text) in enumerate(sections, 1):
            (folder / f"{number:02d}-section.txt").write_text(f"# {title}\n\n{text}\n", encoding="utf-8")
    return scripts


def _assert_chapters_exact(mp3: Path, rate: int, duration_ms: int) -> None:
    """Chapters contiguous over the whole PCM (ffmpeg decodes it sample-exact), each later one
    starting in silence."""
    samples, found_rate = decode_mp3(mp3)
    assert found_rate == rate
    assert round(len(samples) * 1000 / rate) == duration_ms
    marks = read_chapters(mp3)
    assert marks[0].start_ms == 0 and marks[-1].end_ms == duration_ms
    assert all(a.end_ms == b.start_ms for a, b in zip(marks, marks[1:]))
    peak = np.abs(samples).max()
    for mark in marks[1:]:
        start = mark.start_ms * rate // 1000
        window = samples[start - rate // 10 : start + rate // 20]
        assert np.sqrt(np.mean(window**2)) < 0.01 * peak, f"chapter {mark.title!r} does not start in silence"


def test_titles_in_another_voice_rebuild_only_the_titles(tmp_path, offline):
    cache = tmp_path / "cache"
    scripts = _write_guide(tmp_path, 'title = "Harbour"\nengine = "hibari"\n', {"harbour": ""})
    output = tmp_path / "output"
    alone = build([scripts], BuildOptions(output_dir=output, cache_dir=cache, jobs=1))
    assert (alone.spoken, alone.cached) == (7, 0)

    guide = scripts / "guide.toml"
    guide.write_text(guide.read_text() + 'title_engine = "piper"\n', encoding="utf-8")
    mixed = build([scripts], BuildOptions(output_dir=output, cache_dir=cache, jobs=1))
    assert [e.rebuilt for e in mixed.episodes] == [True], "a new title voice changes the episode"
    assert (mixed.spoken, mixed.cached) == (3, 4), "only the three titles are spoken again"
    # The episode keeps the narration's rate; piper's 22050 Hz titles are resampled into it.
    _assert_chapters_exact(output / "harbour.mp3", 24000, mixed.episodes[0].duration_ms)
    assert [c.title for c in read_chapters(output / "harbour.mp3")] == ["The Harbour", "The Lighthouse", "The Fish Market"]


def test_episodes_may_have_voices_of_their_own(tmp_path, offline):
    scripts = _write_guide(
        tmp_path,
        'title = "Harbour"\nengine = "piper"\ntitle_engine = "hibari"\n',
        {"harbour": "number = 1\n", "market": 'number = 2\nengine = "hibari"\nspeed = 1.25\n'},
    )
    output = tmp_path / "output"
    report = build([scripts], BuildOptions(output_dir=output, cache_dir=tmp_path / "cache", jobs=1))
    harbour, market = report.episodes
    # hibari titles over piper narration: the episode is at piper's rate.
    _assert_chapters_exact(output / "harbour.mp3", 22050, harbour.duration_ms)
    _assert_chapters_exact(output / "market.mp3", 24000, market.duration_ms)
    assert market.duration_ms < harbour.duration_ms, "the faster episode is shorter"


def test_a_language_no_voice_speaks_fails_the_build_before_any_work(tmp_path):
    from audioguide.errors import EngineError

    scripts = _write_guide(tmp_path, 'title = "Hafen"\n', {"hafen": 'language = "de"\n'})
    with pytest.raises(EngineError, match="piper has no voice for language 'de'; installed voices: piper joe"):
        build([scripts], BuildOptions(output_dir=tmp_path / "out", cache_dir=tmp_path / "cache"))
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


def test_output_is_identical_whatever_the_number_of_speech_threads(tmp_path):
    article = tmp_path / "walk.md"
    article.write_text(
        "# The Harbour Walk\n\nA short walk along the old harbour.\n\n"
        "## The Lighthouse\n\nThe lighthouse was built of local granite. Second sentence here!\n\n"
        "## The Fish Market\n\nFishermen sell the morning catch here. Gulls wait for scraps.\n",
        encoding="utf-8",
    )
    decoded = []
    for jobs in (1, 2):
        output = tmp_path / f"out-{jobs}"
        report = build([article], BuildOptions(output_dir=output, cache_dir=tmp_path / f"cache-{jobs}", jobs=jobs))
        assert report.cached == 0 and report.spoken > 0
        decoded.append(decode_mp3(output / "walk.mp3")[0])
        chapters = read_chapters(output / "walk.mp3")
    assert np.array_equal(*decoded)
    assert read_chapters(tmp_path / "out-1" / "walk.mp3") == chapters


def test_a_build_on_a_memory_url_cache_speaks_nothing_the_second_time(tmp_path, plugins):
    fsspec = pytest.importorskip("fsspec", reason='fsspec is in the cluster extra (pip install "audioguide[cluster]")')
    article = tmp_path / "walk.md"
    article.write_text("# Walk\n\nA short walk.\n\n## The Mill\n\nThe wheel turns.\n", encoding="utf-8")
    url = f"memory://audioguide/{tmp_path.name}"
    options = BuildOptions(output_dir=tmp_path / "one", engine="beeps", voice="square", cache_dir=url)
    try:
        first = build([article], options)
        second = build([article], dataclasses.replace(options, output_dir=tmp_path / "two"))
        assert (first.spoken, second.spoken) == (4, 0)
        assert fsspec.filesystem("memory").find(f"{url}/segment-v1")
        assert mpeg_audio(tmp_path / "one" / "walk.mp3") == mpeg_audio(tmp_path / "two" / "walk.mp3")
    finally:
        memory = fsspec.filesystem("memory")
        for path in memory.find(url):
            memory.rm_file(path)


def test_a_segment_found_damaged_when_joining_is_made_again_from_cached_speech(tmp_path, plugins):
    import audioguide_beeps

    article = tmp_path / "walk.md"
    article.write_text("# Walk\n\nA short walk.\n\n## The Mill\n\nThe wheel turns.\n", encoding="utf-8")
    options = BuildOptions(output_dir=tmp_path / "out", engine="beeps", voice="square", cache_dir=tmp_path / "cache")
    build([article], options)
    before = mpeg_audio(tmp_path / "out" / "walk.mp3")
    damaged = sorted((tmp_path / "cache" / "segment-v1").rglob("*.seg"))[0]
    damaged.write_bytes(damaged.read_bytes()[:-10])
    (tmp_path / "out" / "walk.mp3").unlink()
    audioguide_beeps.spoken.clear()
    report = build([article], options)
    assert report.spoken == 0 and audioguide_beeps.spoken == [] and [e.rebuilt for e in report.episodes] == [True]
    assert mpeg_audio(tmp_path / "out" / "walk.mp3") == before
