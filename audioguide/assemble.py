"""Joining an episode's rendered speech into one mastered MP3, measuring chapters and cues.

Every time comes from sample counts, never from the MP3 (whose encoder padding adds ~50 ms).
Layout: a short lead-in, then each utterance with its leading and trailing near-silence trimmed,
followed by exactly its `pause_ms` of digital silence; the last utterance gets a short tail instead.

Chapter rule: the first chapter starts at 0. Every later chapter starts inside the pause before its
spoken title, `min(300 ms, half that pause)` before the title's (trimmed) audio begins, so a player
that seeks to a chapter lands in silence just before the title, and the audio before each start is
silent for as long as the pause allows. Chapters are contiguous and the last ends with the audio.

Mastering: integrated loudness (BS.1770) is measured from the speech in memory; gain and a
look-ahead limiter are settled on the PCM (see `_master`) and the result is encoded once,
streamed to ffmpeg block by block.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from audioguide.errors import AudioError
from audioguide.ffmpeg import ffmpeg_exe
from audioguide.loudness import LoudnessMeter, db_to_gain, gain_to_db, limit, peak_envelope
from audioguide.model import AssembledAudio, ChapterMark, Cue, RenderedScript, Speech

LEAD_IN_MS = 300
"""Silence before the first word: players often swallow the first instants of playback."""
TAIL_MS = 500
CHAPTER_LEAD_MS = 300
TRIM_BELOW_PEAK_DB = 45.0
"""A sample counts as sound if it is within this many dB of the utterance's peak..."""
NOISE_FLOOR = 32768 * 10 ** (-60 / 20)
"""...and above -60 dBFS."""
KEEP_BEFORE_MS = 30
KEEP_AFTER_MS = 60
"""Trimming keeps this much around the sound, so soft onsets and decaying endings stay whole."""
CODEC_HEADROOM_DB = 2.5
"""Decoded MP3 overshoots the PCM's true peak; the limiter aims this far below the ceiling."""
CODEC_LOSS_LU = 0.4
"""Loudness the MP3 measures below its PCM (libmp3lame's low-pass at 64 kbps mono, measured)."""
LOUDNESS_TOLERANCE_LU = 0.15
PEAK_MARGIN_DB = 0.1
"""How far under the true-peak ceiling the MP3 must stay, for meters that round differently."""
TRUE_PEAK_OVERLAP = 16
GAIN_RANGE_DB = 9.0
"""Most gain the limiter passes may add to the first pass's, to win back what limiting took."""
LIMITER_PASSES = 4
SILENCE_BLOCK = 1 << 15


@dataclass(frozen=True)
class _Span:
    """One utterance's trimmed speech (int16, at the episode rate) and the silence after it."""

    speech: np.ndarray
    pause: int


def assemble(
    rendered: RenderedScript,
    mp3_path: Path,
    *,
    sample_rate: int | None = None,
    bitrate_kbps: int = 64,
    target_lufs: float = -16.0,
    true_peak_dbtp: float = -1.0,
) -> AssembledAudio:
    """Write the episode as a CBR mono MP3 at `mp3_path` (no ID3 tag) and say where things lie."""
    speeches = [s for chapter in rendered.chapters for s in chapter.speech]
    if not speeches:
        raise AudioError(f"{rendered.script.slug}: nothing to assemble, the script has no speech")
    rate = sample_rate or speeches[0].sample_rate
    spans, chapters, cues, num_samples = _layout(rendered, rate)
    loudness = _master(spans, rate, mp3_path, bitrate_kbps, target_lufs, true_peak_dbtp)
    return AssembledAudio(
        chapters=chapters,
        cues=cues,
        num_samples=num_samples,
        sample_rate=rate,
        loudness_lufs=loudness,
    )


def _layout(
    rendered: RenderedScript, rate: int
) -> tuple[list[_Span], tuple[ChapterMark, ...], tuple[Cue, ...], int]:
    """Place every utterance on the sample timeline; return spans, chapter marks, cues, length."""

    def samples(ms: int) -> int:
        return round(ms * rate / 1000)

    def ms(position: int) -> int:
        return round(position * 1000 / rate)

    spans = [_Span(np.zeros(0, dtype=np.int16), samples(LEAD_IN_MS))]
    position = spans[0].pause
    starts: list[int] = []
    cues: list[Cue] = []
    for rendered_chapter in rendered.chapters:
        chapter = rendered_chapter.chapter
        if not chapter.utterances:
            raise AudioError(f"chapter {chapter.id!r} has nothing to say")
        if len(rendered_chapter.speech) != len(chapter.utterances):
            raise AudioError(
                f"chapter {chapter.id!r}: {len(rendered_chapter.speech)} rendered utterances "
                f"for {len(chapter.utterances)} in the script"
            )
        pause_before = spans[-1].pause
        starts.append(position - min(samples(CHAPTER_LEAD_MS), pause_before // 2) if starts else 0)
        for utterance, speech in zip(chapter.utterances, rendered_chapter.speech):
            audio = _trim(_at_rate(speech, rate), rate)
            if len(audio):
                cues.append(Cue(ms(position), ms(position + len(audio)), utterance.text))
            pause = samples(max(0, utterance.pause_ms))
            spans.append(_Span(audio, pause))
            position += len(audio) + pause
    # The last utterance ends the episode: a short tail replaces its pause.
    position += samples(TAIL_MS) - spans[-1].pause
    spans[-1] = _Span(spans[-1].speech, samples(TAIL_MS))
    ends = starts[1:] + [position]
    chapters = tuple(
        ChapterMark(rc.chapter.id, rc.chapter.title, ms(start), ms(end), rc.chapter.link)
        for rc, start, end in zip(rendered.chapters, starts, ends)
    )
    return spans, chapters, tuple(cues), position


def _at_rate(speech: Speech, rate: int) -> np.ndarray:
    """The speech as int16 samples at `rate`, resampled with a polyphase filter if need be."""
    pcm = np.frombuffer(speech.pcm, dtype="<i2", count=speech.num_samples)
    if speech.sample_rate == rate:
        return pcm
    common = math.gcd(speech.sample_rate, rate)
    resampled = resample_poly(pcm.astype(np.float64), rate // common, speech.sample_rate // common)
    return np.clip(np.round(resampled), -32768, 32767).astype(np.int16)


def _trim(pcm: np.ndarray, rate: int) -> np.ndarray:
    """`pcm` without its leading and trailing near-silence, keeping a margin around the sound."""
    magnitude = np.abs(pcm.astype(np.int32))
    peak = int(magnitude.max(initial=0))
    threshold = max(peak * 10 ** (-TRIM_BELOW_PEAK_DB / 20), NOISE_FLOOR)
    sound = np.flatnonzero(magnitude > threshold)
    if not len(sound):
        return pcm[:0]
    first = max(0, sound[0] - round(KEEP_BEFORE_MS * rate / 1000))
    last = min(len(pcm), sound[-1] + 1 + round(KEEP_AFTER_MS * rate / 1000))
    return pcm[first:last]


def _blocks(spans: list[_Span], speeches: list[np.ndarray]) -> Iterator[np.ndarray]:
    """The episode as float blocks in [-1, 1]: each span's (mastered) speech, then its silence."""
    silence = np.zeros(SILENCE_BLOCK)
    for span, speech in zip(spans, speeches):
        if len(speech):
            yield speech
        for start in range(0, span.pause, SILENCE_BLOCK):
            yield silence[: min(SILENCE_BLOCK, span.pause - start)]


def _loudness(spans: list[_Span], speeches: list[np.ndarray], rate: int) -> float:
    meter = LoudnessMeter(rate)
    for block in _blocks(spans, speeches):
        meter.add(block)
    return meter.integrated()


def _master(
    spans: list[_Span],
    rate: int,
    mp3_path: Path,
    bitrate_kbps: int,
    target_lufs: float,
    true_peak_dbtp: float,
) -> float | None:
    """Encode the episode once, at the loudness target with its true peak under the ceiling.

    Gain and limiting are settled on the PCM before encoding: the gain brings the speech to the
    target, the limiter holds the peaks CODEC_HEADROOM_DB under the ceiling (decoded MP3
    overshoots a little), and a corrective pass gives back the loudness the limiter took.
    The MP3 encoder's low-pass takes CODEC_LOSS_LU more, which the target includes.
    Returns the loudness of the PCM that was encoded, less that loss (None for silence).
    """
    # Single precision is ample for 16-bit audio, and halves the memory and time of every pass.
    raw_speech = [span.speech.astype(np.float32) / np.float32(32768) for span in spans]
    raw = _loudness(spans, raw_speech, rate)
    if not math.isfinite(raw):
        _encode(_blocks(spans, raw_speech), rate, bitrate_kbps, mp3_path)
        return None
    aim = target_lufs + CODEC_LOSS_LU
    ceiling = db_to_gain(true_peak_dbtp - CODEC_HEADROOM_DB)
    gain_db = aim - raw
    # The envelopes scale with the gain, so they are found once, precise wherever a pass with
    # up to GAIN_RANGE_DB more gain could need them.
    floor = ceiling / db_to_gain(gain_db + GAIN_RANGE_DB)
    envelopes = [peak_envelope(speech, floor) for speech in raw_speech]
    tried: list[tuple[float, float]] = []
    for _ in range(LIMITER_PASSES):
        gain = db_to_gain(min(gain_db, aim - raw + GAIN_RANGE_DB))
        mastered = [
            limit(speech * gain, ceiling, rate, peaks=envelope * gain)
            for speech, envelope in zip(raw_speech, envelopes)
        ]
        loudness = _loudness(spans, mastered, rate)
        if abs(aim - loudness) <= LOUDNESS_TOLERANCE_LU:
            break
        tried.append((gain_db, loudness))
        gain_db += (aim - loudness) / _slope(tried)
    del envelopes, raw_speech
    _encode(_blocks(spans, mastered), rate, bitrate_kbps, mp3_path)
    # The codec's overshoot varies with the material: check the MP3 itself, and in the rare case
    # it tops the ceiling, encode once more with the gain lowered by the excess.
    allowed = db_to_gain(true_peak_dbtp - PEAK_MARGIN_DB)
    excess_db = gain_to_db(max(_mp3_true_peak(mp3_path, rate, allowed), allowed)) - gain_to_db(allowed)
    if excess_db > 0:
        cut = db_to_gain(-excess_db)
        _encode(_blocks(spans, [speech * cut for speech in mastered]), rate, bitrate_kbps, mp3_path)
        loudness -= excess_db
    return round(loudness - CODEC_LOSS_LU, 2)


def _mp3_true_peak(mp3_path: Path, rate: int, floor: float) -> float:
    """True peak (linear) of an MP3, decoded by ffmpeg and scanned block by block; exact where it
    exceeds `floor`, only a lower bound below it."""
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(mp3_path),
               "-f", "s16le", "-ac", "1", "-ar", str(rate), "pipe:1"]  # fmt: skip
    peak = 0.0
    tail = np.zeros(0)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        while block := process.stdout.read(1 << 20):
            samples = np.frombuffer(block[: len(block) // 2 * 2], dtype="<i2") / 32768
            # A little overlap lets a peak between two blocks be seen.
            joined = np.concatenate([tail, samples])
            peak = max(peak, float(peak_envelope(joined, floor).max(initial=0.0)))
            tail = samples[-2 * TRUE_PEAK_OVERLAP :]
    if process.returncode:
        raise AudioError(f"ffmpeg could not decode {mp3_path.name} to check its peak level")
    return peak


def _slope(tried: list[tuple[float, float]]) -> float:
    """LU of loudness gained per dB of gain over the last two passes: under 1 where the limiter
    takes part of every added dB."""
    if len(tried) < 2:
        return 1.0
    (gain_a, loud_a), (gain_b, loud_b) = tried[-2:]
    if gain_a == gain_b:
        return 1.0
    return min(1.0, max(0.2, (loud_b - loud_a) / (gain_b - gain_a)))


def _encode(blocks: Iterator[np.ndarray], rate: int, bitrate_kbps: int, mp3_path: Path) -> None:
    """Stream the blocks as 16-bit PCM into ffmpeg, which writes a CBR mono MP3 with no tags."""
    command = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
        "-map_metadata", "-1", "-codec:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k", "-ac", "1",
        # tags.py writes the one ID3 tag; a LAME/Info header stays, for gapless playback.
        "-id3v2_version", "0", "-write_id3v1", "0",
        "-fflags", "+bitexact", "-flags:a", "+bitexact",
        "-f", "mp3", str(mp3_path),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as stderr:
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr
            )
        except OSError as error:
            raise AudioError(f"cannot run ffmpeg: {error}") from None
        try:
            _feed(process, blocks)
        except BaseException:
            process.kill()
            process.wait()
            raise
        returncode = process.wait()
        if returncode:
            stderr.seek(0)
            lines = stderr.read().decode("utf-8", "replace").strip().splitlines()
            tail = " | ".join(lines[-3:]) or f"exit status {returncode}"
            raise AudioError(f"ffmpeg could not encode {mp3_path.name}: {tail}")


def _feed(process: subprocess.Popen, blocks: Iterator[np.ndarray]) -> None:
    """Write the blocks to ffmpeg's stdin as 16-bit PCM, then close it."""
    assert process.stdin is not None
    try:
        for block in blocks:
            pcm = np.clip(np.round(block * 32768), -32768, 32767).astype("<i2")
            process.stdin.write(pcm.tobytes())
    except BrokenPipeError:
        pass  # ffmpeg stopped reading; its exit status and stderr say why
    finally:
        try:
            process.stdin.close()
        except BrokenPipeError:
            pass
