"""mp3: pieces encoded apart, joined behind one Info frame, decode as one gapless stream."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp3 import MP3

from audioguide import mp3
from audioguide.errors import AudioError
from audioguide.ffmpeg import ffmpeg_exe
from tests.media import decode_mp3

RATE = 22050


def _encoded(samples: np.ndarray, path: Path) -> bytes:
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", "pipe:0",
         "-codec:a", "libmp3lame", "-b:a", "64k", "-id3v2_version", "0", "-write_id3v1", "0", str(path)],
        input=samples.astype("<i2").tobytes(), check=True,
    )  # fmt: skip
    return path.read_bytes()


def _sound(seconds: float, frequency: float, silence_after: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    tone = np.sin(2 * np.pi * frequency * t) * 8000
    return np.concatenate([tone, np.zeros(round(silence_after * RATE))])


@pytest.fixture(scope="module")
def pieces(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[np.ndarray, bytes]]:
    folder = tmp_path_factory.mktemp("pieces")
    # Whole frames of input with silence at the end, as assembly lays segments out; the last
    # piece ends anywhere.
    first = _sound(1.0, 440, silence_after=0.3)[: 576 * 48]
    second = _sound(0.8, 660, silence_after=0.3)[: 576 * 40]
    last = _sound(1.3, 330)
    return [(s, _encoded(s, folder / f"{i}.mp3")) for i, s in enumerate([first, second, last])]


def test_split_reads_the_encoders_own_counts(pieces):
    samples, data = pieces[0]
    stream = mp3.split_stream(data)
    assert stream.frame_samples == 576
    assert stream.delay + len(samples) + stream.padding == stream.span_samples
    assert stream.music_crc == mp3.crc16(stream.audio)
    assert len(stream.info_frame) + len(stream.audio) == len(data)


def test_one_piece_joins_to_the_encoders_own_info_frame_but_its_seek_table(pieces):
    _, data = pieces[0]
    stream = mp3.split_stream(data)
    info, audio = mp3.join_streams([stream])
    table = slice(29, 129)  # MPEG-2 mono: the tag starts at byte 13, its table 16 bytes later
    assert info[: table.start] == data[: table.start]
    assert info[129:165] == data[129:165], "LAME extension: delay, padding, music length"
    assert info[165:167] == data[165:167], "music CRC"
    assert b"".join(audio) == stream.audio


def test_joined_pieces_decode_as_one_stream_with_each_piece_where_its_frames_put_it(pieces, tmp_path):
    streams = [mp3.split_stream(data) for _, data in pieces]
    info, audio = mp3.join_streams(streams)
    path = tmp_path / "joined.mp3"
    path.write_bytes(info + b"".join(audio))
    decoded, _ = decode_mp3(path, RATE)
    start = 0
    for (samples, data), stream in zip(pieces, streams):
        alone, _ = decode_mp3(_write(tmp_path / "alone.mp3", data), RATE)
        assert len(alone) == len(samples)
        together = decoded[start : start + len(samples)]
        assert np.abs(together - alone).max() < 1e-3
        start += stream.span_samples
    # Gapless players trim the codec's silence at both ends: exactly the pieces' timeline remains.
    assert len(decoded) == sum(s.span_samples for s in streams[:-1]) + len(pieces[-1][0])
    assert MP3(path).info.length == pytest.approx(sum(s.span_samples for s in streams) / RATE, abs=0.001)


def test_joined_info_frame_counts_and_checks_the_whole(pieces):
    streams = [mp3.split_stream(data) for _, data in pieces]
    info, audio = mp3.join_streams(streams)
    tag = info.index(b"Info")
    assert int.from_bytes(info[tag + 8 : tag + 12], "big") == sum(s.frame_count for s in streams)
    size = len(info) + sum(len(a) for a in audio)
    assert int.from_bytes(info[tag + 12 : tag + 16], "big") == size
    table = list(info[tag + 16 : tag + 116])
    assert table[0] == 0 and table == sorted(table) and table[-1] < 256
    assert int.from_bytes(info[tag + 152 : tag + 154], "big") == mp3.crc16(b"".join(audio))
    blank = bytearray(info)
    blank[tag + 154 : tag + 156] = b"\0\0"
    assert int.from_bytes(info[tag + 154 : tag + 156], "big") == mp3.crc16(bytes(blank[:190]))


@pytest.mark.parametrize("split", [0, 1, 1000, 4095, 4096, 70001])
def test_crc_of_a_whole_is_combined_from_its_parts(split):
    data = np.random.default_rng(split).integers(0, 256, 80000, dtype=np.uint8).tobytes()
    a, b = data[:split], data[split:]
    assert mp3.crc16_combine(mp3.crc16(a), mp3.crc16(b), len(b)) == mp3.crc16(data)


def test_what_is_not_layer_three_is_refused():
    with pytest.raises(AudioError, match="no MPEG layer III frame"):
        mp3.split_stream(b"ID3\x04" + bytes(400))
    with pytest.raises(AudioError, match="nothing to join"):
        mp3.join_streams([])


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
