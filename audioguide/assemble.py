"""Joining an episode's rendered speech into one mastered, chaptered MP3.

Every chapter is a segment, mastered and encoded on its own (`encode_segment`); the episode is
the segments' MPEG frames joined behind one Info frame (`join`). So a rebuild after an edit makes
only the edited chapter's segment again (the others come from the cache), and memory holds one
chapter's audio at a time, however long the episode.

Every time comes from sample counts, never from decoding the MP3. Layout, at the episode's rate:
a segment opens with `lead` silence (LEAD_IN_MS for the first; for the others the chapter lead,
`min(CHAPTER_LEAD_MS, half the pause before the title)`), then each utterance with its leading
and trailing near-silence trimmed, followed by exactly its `pause_ms` of digital silence. The
pause after a chapter's last utterance is shared: the next segment's lead, the codec gap (the
encoder's delay and padding, silent, a fixed number of samples when a segment fills whole
frames) and the rest of the pause, rounded down so the segment fills whole frames (so such a
pause may be up to one frame, ~26 ms, short; one too short to share is lengthened instead).
The last segment ends with TAIL_MS of silence, rounded up to whole frames.

Chapter k starts where segment k starts, in silence `lead` before its title; chapters are
contiguous and the last ends with the audio.

Mastering, per segment: integrated loudness (BS.1770) is measured, gain and a look-ahead
limiter are settled on the PCM (see `_master`), and the result is encoded once. Segments that
each meet the target make an episode that meets it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from audioguide import dsp, mp3
from audioguide.errors import AudioError
from audioguide.ffmpeg import ffmpeg_exe, ffmpeg_version
from audioguide.loudness import INTERSAMPLE_DB, db_to_gain, gain_to_db, integrated_loudness, peaks_at
from audioguide.mastering import master
from audioguide.model import (
    AssembledAudio,
    ChapterMark,
    Cue,
    EncodedSegment,
    RenderedChapter,
    RenderedScript,
    Script,
    Speech,
)

SEGMENT_FORMAT = 2
"""Part of every segment's cache key: raise it when the way segments are made changes."""
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
PEAK_MARGIN_DB = 0.1
"""How far under the true-peak ceiling the MP3 must stay, for meters that round differently."""
TRUE_PEAK_OVERLAP = 16
SILENCE_BLOCK = 1 << 15


MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)


@dataclass(frozen=True)
class Mastering:
    """The episode's audio format and loudness targets."""

    sample_rate: int
    """One of MP3_SAMPLE_RATES (see `episode_rate`)."""
    bitrate_kbps: int = 64
    target_lufs: float = -16.0
    true_peak_dbtp: float = -1.0


def episode_rate(speech_rate: int) -> int:
    """The MP3 sample rate for narration spoken at `speech_rate`: the lowest that loses nothing."""
    return next((rate for rate in MP3_SAMPLE_RATES if rate >= speech_rate), MP3_SAMPLE_RATES[-1])


@dataclass(frozen=True)
class SegmentPlan:
    """Where one chapter's segment sits, in samples: what it needs besides its speech."""

    lead: int
    """Silence before its first utterance."""
    pauses: tuple[int, ...]
    """Silence after each utterance. The last: for the episode's last segment its tail; for
    the others, what this segment leaves between its last word and the next segment's start,
    codec gap included."""
    last: bool


def assemble(rendered: RenderedScript, mp3_path: Path, mastering: Mastering | None = None) -> AssembledAudio:
    """The whole episode in one call, with no cache: every chapter's segment, then `join`.
    Mastering defaults to the podcast targets at the MP3 rate for the first utterance's rate."""
    speeches = [s for chapter in rendered.chapters for s in chapter.speech]
    if not speeches:
        raise AudioError(f"{rendered.script.slug}: nothing to assemble, the script has no speech")
    mastering = mastering or Mastering(episode_rate(speeches[0].sample_rate))
    plans = plan_segments(rendered.script, mastering.sample_rate)
    segments = [encode_segment(chapter, plan, mastering) for chapter, plan in zip(rendered.chapters, plans)]
    return join(segments, rendered.script, mp3_path, mastering.sample_rate)


def plan_segments(script: Script, sample_rate: int) -> list[SegmentPlan]:
    """Each chapter's segment plan (see the module's layout)."""

    def samples(ms: int) -> int:
        return round(ms * sample_rate / 1000)

    plans: list[SegmentPlan] = []
    lead = samples(LEAD_IN_MS)
    for index, chapter in enumerate(script.chapters):
        if not chapter.utterances:
            raise AudioError(f"chapter {chapter.id!r} has nothing to say")
        pauses = [samples(max(0, u.pause_ms)) for u in chapter.utterances]
        last = index == len(script.chapters) - 1
        next_lead = 0 if last else min(samples(CHAPTER_LEAD_MS), pauses[-1] // 2)
        pauses[-1] = samples(TAIL_MS) if last else pauses[-1] - next_lead
        plans.append(SegmentPlan(lead, tuple(pauses), last))
        lead = next_lead
    return plans


def segment_key(plan: SegmentPlan, speech_keys: Sequence[str], mastering: Mastering) -> str:
    """SHA-256 hex of everything that shapes a segment: its speech, plan, mastering and encoder."""
    payload = {
        "format": SEGMENT_FORMAT,
        "encoder": ffmpeg_version(),
        "plan": asdict(plan),
        "speech": list(speech_keys),
        "mastering": asdict(mastering),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class _Span:
    """One utterance's trimmed speech (int16, at the episode rate) and the silence after it."""

    speech: np.ndarray
    pause: int


def encode_segment(rendered: RenderedChapter, plan: SegmentPlan, mastering: Mastering) -> EncodedSegment:
    """Master and encode one chapter's speech as laid out by `plan`."""
    chapter = rendered.chapter
    if len(rendered.speech) != len(chapter.utterances) or len(plan.pauses) != len(chapter.utterances):
        raise AudioError(
            f"chapter {chapter.id!r}: {len(rendered.speech)} rendered utterances and "
            f"{len(plan.pauses)} pauses for {len(chapter.utterances)} in the script"
        )
    rate = mastering.sample_rate
    spans = [_Span(np.zeros(0, dtype=np.int16), plan.lead)]
    spans += [_Span(_trim(_at_rate(s, rate), rate), pause) for s, pause in zip(rendered.speech, plan.pauses)]
    spans[-1] = _Span(spans[-1].speech, _trailing_silence(spans, plan.last, mastering))
    utterances: list[tuple[int, int] | None] = []
    position = plan.lead
    for span in spans[1:]:
        utterances.append((position, position + len(span.speech)) if len(span.speech) else None)
        position += len(span.speech) + span.pause
    # Mastering's matrix products are small: BLAS threads would only spin, against speech
    # threads for the same cores (measured: 2.4x the CPU time on a busy machine). A build's own
    # threads hold the limit for their whole life (executors.local_threads); this is for a
    # Dask worker's and any other caller's.
    with tempfile.TemporaryDirectory(prefix="audioguide-segment-") as folder, threadpool_limits(1, "blas"):
        mp3_path = Path(folder) / "segment.mp3"
        steps = _master(spans, mp3_path, mastering)
        stream = mp3.split_stream(mp3_path.read_bytes())
    if stream.delay + position + stream.padding != stream.span_samples:
        raise AudioError(f"chapter {chapter.id!r}: the encoder's gapless delay and padding do not add up")
    return EncodedSegment(stream, position, tuple(utterances), steps.astype("<f8").tobytes())


def _trailing_silence(spans: list[_Span], last: bool, mastering: Mastering) -> int:
    """The silence after a segment's last word, so that the segment fills whole frames.

    For the last segment, its tail rounded up. For the others, what the plan leaves before the
    next segment less the codec gap, rounded down (or, if that is too little, up). Whole frames
    also keep the encoder's own end padding under its decoder delay, the only padding ffmpeg
    records correctly in the Info frame (measured: larger padding is written as 1105).
    """
    frame, gap = _codec_frame(mastering.sample_rate, mastering.bitrate_kbps)
    before = sum(len(span.speech) + span.pause for span in spans[:-1]) + len(spans[-1].speech)
    if last:
        return spans[-1].pause + (-(before + spans[-1].pause)) % frame
    wanted = spans[-1].pause - gap
    trailing = wanted - (before + wanted) % frame
    return trailing if trailing >= 0 else (-before) % frame


@functools.cache
def _codec_frame(sample_rate: int, bitrate_kbps: int) -> tuple[int, int]:
    """Samples per MPEG frame, and the codec gap: how many samples more than its input a
    whole-frame input spans once encoded (the encoder's delay plus its padding)."""
    probe = 1152  # whole frames at every rate
    with tempfile.TemporaryDirectory(prefix="audioguide-probe-") as folder:
        path = Path(folder) / "probe.mp3"
        _encode(iter([np.zeros(probe, dtype=np.float32)]), sample_rate, bitrate_kbps, path)
        data = path.read_bytes()
    if mp3.read_header(data).sample_rate != sample_rate:
        raise AudioError(f"MP3 has no {sample_rate} Hz sample rate; choose one of {MP3_SAMPLE_RATES}")
    stream = mp3.split_stream(data)
    return stream.frame_samples, stream.span_samples - probe


def join(segments: Sequence[EncodedSegment], script: Script, mp3_path: Path, sample_rate: int) -> AssembledAudio:
    """Write the episode's MP3 (no ID3 tag) from its chapters' segments and say where things lie."""
    if len(segments) != len(script.chapters) or not segments:
        raise AudioError(f"{script.slug}: {len(segments)} segments for {len(script.chapters)} chapters")

    def ms(position: int) -> int:
        return round(position * 1000 / sample_rate)

    starts, position = [], 0
    for segment in segments:
        starts.append(position)
        position += segment.stream.span_samples
    num_samples = starts[-1] + segments[-1].num_samples
    ends = starts[1:] + [num_samples]
    chapters = tuple(
        ChapterMark(c.id, c.title, ms(start), ms(end), c.link)
        for c, start, end in zip(script.chapters, starts, ends)
    )
    cues = tuple(
        Cue(ms(start + first), ms(start + end), utterance.text)
        for chapter, segment, start in zip(script.chapters, segments, starts)
        for utterance, found in zip(chapter.utterances, segment.utterances)
        if found is not None
        for first, end in [found]
    )
    info, audio = mp3.join_streams([s.stream for s in segments])
    with open(mp3_path, "wb") as out:
        out.write(info)
        for piece in audio:
            out.write(piece)
    steps = np.concatenate([np.frombuffer(s.loudness_steps, dtype="<f8") for s in segments])
    loudness = integrated_loudness(steps, sample_rate)
    return AssembledAudio(
        chapters=chapters,
        cues=cues,
        num_samples=num_samples,
        sample_rate=sample_rate,
        loudness_lufs=round(loudness - CODEC_LOSS_LU, 2) if math.isfinite(loudness) else None,
    )


def _at_rate(speech: Speech, rate: int) -> np.ndarray:
    """The speech as int16 samples at `rate`, resampled with a polyphase filter if need be."""
    pcm = np.frombuffer(speech.pcm, dtype="<i2", count=speech.num_samples)
    if speech.sample_rate == rate:
        return pcm
    common = math.gcd(speech.sample_rate, rate)
    resampled = dsp.resample(pcm, rate // common, speech.sample_rate // common)
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
    """The segment as float blocks in [-1, 1]: each span's (mastered) speech, then its silence."""
    silence = np.zeros(SILENCE_BLOCK, dtype=np.float32)
    for span, speech in zip(spans, speeches):
        if len(speech):
            yield speech
        for start in range(0, span.pause, SILENCE_BLOCK):
            yield silence[: min(SILENCE_BLOCK, span.pause - start)]


def _master(spans: list[_Span], mp3_path: Path, mastering: Mastering) -> np.ndarray:
    """Encode the segment once, at the loudness target with its true peak under the ceiling;
    return the loudness meter's step sums of what was encoded.

    Gain and limiting are settled on the PCM before encoding (`mastering.master`): the gain
    brings the speech to the target, the limiter holds the peaks CODEC_HEADROOM_DB under the
    ceiling (decoded MP3 overshoots a little). The MP3 encoder's low-pass takes CODEC_LOSS_LU
    more, which the target includes.
    """
    rate, bitrate = mastering.sample_rate, mastering.bitrate_kbps
    mastered, steps = master(
        [(span.speech, span.pause) for span in spans],
        rate,
        mastering.target_lufs + CODEC_LOSS_LU,
        db_to_gain(mastering.true_peak_dbtp - CODEC_HEADROOM_DB),
    )
    _encode(_blocks(spans, mastered), rate, bitrate, mp3_path)
    # The codec's overshoot varies with the material: check the MP3 itself, and in the rare case
    # it tops the ceiling, encode once more with the gain lowered by the excess.
    allowed = db_to_gain(mastering.true_peak_dbtp - PEAK_MARGIN_DB)
    excess_db = gain_to_db(max(_mp3_true_peak(mp3_path, rate, allowed), allowed)) - gain_to_db(allowed)
    if excess_db > 0:
        cut = np.float32(db_to_gain(-excess_db))
        _encode(_blocks(spans, [speech * cut for speech in mastered]), rate, bitrate, mp3_path)
        steps = steps * float(cut) ** 2
    return steps


def _mp3_true_peak(mp3_path: Path, rate: int, floor: float) -> float:
    """True peak (linear) of an MP3, decoded by ffmpeg and scanned block by block; exact where it
    exceeds `floor`, only a lower bound below it.

    Only samples within INTERSAMPLE_DB of `floor` (and the ones before them: a peak between two
    samples is found from the first) are interpolated; they are found on the 16-bit samples."""
    # ffmpeg's threads hand each other every 26 ms frame (measured: 300,000 futex calls for 10
    # minutes); gathered into large frames, a third fewer, and a fifth less CPU for the check.
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(mp3_path),
               "-af", f"asetnsamples=n={1 << 15}:p=0", "-f", "s16le", "-ac", "1", "-ar", str(rate), "pipe:1"]  # fmt: skip
    threshold = 32768 * floor / db_to_gain(INTERSAMPLE_DB)
    peak = 0.0
    tail = np.zeros(0, dtype=np.int16)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        while block := process.stdout.read(1 << 20):
            # A little overlap lets a peak between two blocks be seen.
            samples = np.concatenate([tail, np.frombuffer(block[: len(block) // 2 * 2], dtype="<i2")])
            loud = (samples > threshold) | (samples < -threshold)
            if loud.any():
                loud[:-1] |= loud[1:]
                peak = max(peak, float(peaks_at(samples / 32768, np.flatnonzero(loud)).max()))
            tail = samples[-2 * TRUE_PEAK_OVERLAP :]
    if process.returncode:
        raise AudioError(f"ffmpeg could not decode {mp3_path.name} to check its peak level")
    return peak


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
