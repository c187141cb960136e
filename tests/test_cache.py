"""The speech cache: keys, round trips, damaged entries, concurrent writers."""

from __future__ import annotations

import dataclasses
import multiprocessing
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audioguide.cache import SpeechCache, default_cache_dir
from audioguide.engines import EngineIdentity
from audioguide.errors import BuildError
from audioguide.model import Speech

IDENTITY = EngineIdentity("piper", "joe", "piper-tts 1.8.0; joe 1.0.0", (("speed", "1.0"), ("threads", "1")), 22050)
SPEECH = Speech(bytes(range(256)) * 40, 22050)


@pytest.fixture
def cache(tmp_path: Path) -> SpeechCache:
    return SpeechCache(tmp_path / "cache")


def test_default_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUDIOGUIDE_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("AUDIOGUIDE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "audioguide"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "audioguide"


def test_round_trip(cache: SpeechCache) -> None:
    key = cache.key(IDENTITY, "Hello.")
    assert cache.get(key) is None
    cache.put(key, SPEECH)
    assert cache.get(key) == SPEECH
    assert SpeechCache(cache.root).get(key) == SPEECH, "entries outlive the object"


def test_entries_fan_out_and_leave_no_temporary_files(cache: SpeechCache) -> None:
    keys = [cache.key(IDENTITY, f"Sentence {n}.") for n in range(20)]
    for key in keys:
        cache.put(key, SPEECH)
    files = sorted(p for p in cache.root.rglob("*") if p.is_file())
    assert sorted(files) == sorted(cache.path(key) for key in keys)
    assert all(path.parent.name == path.name[:2] for path in files)


def test_empty_speech_round_trips(cache: SpeechCache) -> None:
    key = cache.key(IDENTITY, "...")
    cache.put(key, Speech(b"", 24000))
    assert cache.get(key) == Speech(b"", 24000)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[:-1], id="truncated"),
        pytest.param(lambda data: data[:10], id="header cut"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: data[:-5] + bytes([data[-5] ^ 1]) + data[-4:], id="bit flipped"),
        pytest.param(lambda data: b"RIFF" + data[4:], id="not ours"),
        pytest.param(lambda data: data + b"\x00\x00", id="too long"),
    ],
)
def test_damaged_entry_is_deleted_and_missed(cache: SpeechCache, damage) -> None:
    key = cache.key(IDENTITY, "Hello.")
    cache.put(key, SPEECH)
    path = cache.path(key)
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get(key) is None
    assert not path.exists()
    cache.put(key, SPEECH)
    assert cache.get(key) == SPEECH


def _write_many(root: str, worker: int) -> None:
    cache = SpeechCache(Path(root))
    for n in range(30):
        cache.put(cache.key(IDENTITY, f"Shared {n % 10}."), Speech(bytes([n % 10]) * 2000, 22050))


def test_concurrent_writers_leave_whole_entries(cache: SpeechCache) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        pool.starmap(_write_many, [(str(cache.root), worker) for worker in range(3)])
    for n in range(10):
        assert cache.get(cache.key(IDENTITY, f"Shared {n}.")) == Speech(bytes([n]) * 2000, 22050)
    assert not [p for p in cache.root.rglob("*.part")]


text_strategy = st.text(max_size=40)
identities = st.builds(
    EngineIdentity,
    name=st.sampled_from(["piper", "gtts", "hibari"]),
    voice=st.sampled_from(["joe", "heart", "/voices/a.onnx", "en"]),
    version=st.sampled_from(["1.0", "1.1", "piper-tts 1.8.0; joe 1.0.0"]),
    options=st.dictionaries(st.sampled_from(["speed", "tld", "threads"]), st.sampled_from(["1.0", "1.2", "com"]))
    .map(lambda d: tuple(sorted(d.items()))),
    sample_rate=st.sampled_from([22050, 24000]),
)


@given(identities, text_strategy, identities, text_strategy)
def test_key_changes_exactly_when_a_sound_input_changes(a: EngineIdentity, text_a: str,
                                                        b: EngineIdentity, text_b: str) -> None:
    # The sample rate follows from engine and voice; it is not an input of its own.
    same = (a.name, a.version, a.voice, a.options, text_a) == (b.name, b.version, b.voice, b.options, text_b)
    cache = SpeechCache(Path("unused"))
    assert (cache.key(a, text_a) == cache.key(b, text_b)) == same


@given(identities, text_strategy)
def test_key_ignores_option_order(identity: EngineIdentity, text: str) -> None:
    shuffled = dataclasses.replace(identity, options=tuple(reversed(identity.options)))
    cache = SpeechCache(Path("unused"))
    assert cache.key(shuffled, text) == cache.key(identity, text)


@given(st.text(min_size=1, max_size=20), st.data())
def test_key_keeps_fields_apart(joined: str, data: st.DataObject) -> None:
    # Voice "ab" with text "c" is not voice "a" with text "bc": fields are not simply concatenated.
    cut_a, cut_b = data.draw(st.lists(st.integers(0, len(joined)), min_size=2, max_size=2, unique=True))
    cache = SpeechCache(Path("unused"))
    key_a = cache.key(dataclasses.replace(IDENTITY, voice=joined[:cut_a]), joined[cut_a:])
    key_b = cache.key(dataclasses.replace(IDENTITY, voice=joined[:cut_b]), joined[cut_b:])
    assert key_a != key_b


@pytest.fixture
def memory_url(tmp_path: Path):
    """A memory:// cache of this test's own (fsspec keeps one store per process)."""
    fsspec = pytest.importorskip("fsspec", reason='fsspec is in the cluster extra (pip install "audioguide[cluster]")')
    url = f"memory://audioguide/{tmp_path.name}"
    yield url
    memory = fsspec.filesystem("memory")
    for path in memory.find(url):
        memory.rm_file(path)


def test_a_file_url_is_a_folder(tmp_path: Path) -> None:
    pytest.importorskip("fsspec", reason='fsspec is in the cluster extra (pip install "audioguide[cluster]")')
    cache = SpeechCache(f"file://{tmp_path / 'shared'}")
    key = cache.key(IDENTITY, "Hello.")
    cache.put(key, SPEECH)
    assert cache.root == tmp_path / "shared" and cache.path(key).is_file()
    assert SpeechCache(tmp_path / "shared").get(key) == SPEECH


def test_a_memory_url_round_trips_and_drops_damaged_entries(memory_url: str) -> None:
    import fsspec

    cache = SpeechCache(memory_url)
    key = cache.key(IDENTITY, "Hello.")
    assert cache.get(key) is None and not cache.has(key) and cache.private
    cache.put(key, SPEECH)
    assert cache.has(key) and SpeechCache(memory_url).get(key) == SPEECH
    memory = fsspec.filesystem("memory")
    path = cache.path(key)
    assert path == f"{memory_url}/speech-v1/{key[:2]}/{key}.pcm"
    memory.pipe_file(path, memory.cat_file(path)[:-3])
    assert cache.get(key) is None and not memory.exists(path)


def test_an_unknown_url_is_one_clear_error() -> None:
    pytest.importorskip("fsspec", reason='fsspec is in the cluster extra (pip install "audioguide[cluster]")')
    with pytest.raises(BuildError, match="cannot open the cache nosuch://bucket: Protocol not known"):
        SpeechCache("nosuch://bucket")


def test_a_url_without_fsspec_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fsspec", None)
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    with pytest.raises(BuildError, match=r'needs fsspec: pip install "audioguide\[cluster\]"'):
        SpeechCache("s3://bucket/prefix")
