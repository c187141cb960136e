"""MPEG audio frames: splitting an encoder's output, and joining separately encoded pieces.

An episode is encoded chapter by chapter, and the chapters' frames are joined behind one
Xing/Info frame that describes the whole: its frame and byte counts, a seek table, and the LAME
extension's encoder delay and end padding, which gapless players use to trim the codec's silence
at both ends. Facts used here (from the Xing/LAME tag layout): the tag follows the side
information; the LAME extension starts 120 bytes after "Info"; delay and padding are two 12-bit
numbers 141 bytes after it; the music length, music CRC and tag CRC sit 148, 152 and 154 bytes
after it; both CRCs are CRC-16/ARC, the tag's over the frame's first 190 bytes with its own
field zeroed.

Inside the joined stream each piece keeps its own codec delay and padding, so piece k's first
sample plays exactly `sum(frames before it) * samples_per_frame` samples into the episode.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from audioguide.errors import AudioError
from audioguide.model import EncodedStream

_BITRATES_KBPS = {
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_TAG_NAMES = (b"Info", b"Xing")
_TOC_SIZE = 100
_FRAMES_FIELD, _BYTES_FIELD, _TOC_FIELD = 8, 12, 16
_PADDING_FIELD, _MUSIC_LENGTH_FIELD, _MUSIC_CRC_FIELD, _TAG_CRC_FIELD = 141, 148, 152, 154
_TAG_CRC_SPAN = 190
_ALL_FIELDS = 0x0F
"""Xing flags: frame count, byte count, seek table and quality are all present."""


@dataclass(frozen=True)
class FrameHeader:
    version: int
    """3 for MPEG-1, 2 for MPEG-2, 0 for MPEG-2.5."""
    sample_rate: int
    bitrate_kbps: int
    channels: int
    size: int
    """Bytes in the frame, header included."""

    @property
    def samples(self) -> int:
        """Samples per channel that one frame carries."""
        return 1152 if self.version == 3 else 576

    @property
    def side_info_size(self) -> int:
        if self.version == 3:
            return 17 if self.channels == 1 else 32
        return 9 if self.channels == 1 else 17


def read_header(data: bytes, offset: int = 0) -> FrameHeader:
    """The layer III frame header at `offset`."""
    if offset + 4 > len(data):
        raise AudioError("MP3 data ends inside a frame header")
    word = int.from_bytes(data[offset : offset + 4], "big")
    version, layer = (word >> 19) & 3, (word >> 17) & 3
    bitrate_index, rate_index = (word >> 12) & 15, (word >> 10) & 3
    if word >> 21 != 0x7FF or version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        raise AudioError(f"no MPEG layer III frame at byte {offset}")
    sample_rate = _SAMPLE_RATES[version][rate_index]
    bitrate = _BITRATES_KBPS[1 if version == 3 else 2][bitrate_index]
    coefficient = 144 if version == 3 else 72
    size = coefficient * bitrate * 1000 // sample_rate + ((word >> 9) & 1)
    channels = 1 if (word >> 6) & 3 == 3 else 2
    return FrameHeader(version, sample_rate, bitrate, channels, size)


def split_stream(data: bytes) -> EncodedStream:
    """Take apart the output of a LAME encode that begins with its Xing/Info frame."""
    header = read_header(data)
    info = data[: header.size]
    tag = _tag_offset(info, header)
    audio = data[header.size :]
    frames, position = 0, 0
    sizes: dict[bytes, int] = {}  # a CBR stream has two header words: padded and not
    while position < len(audio):
        word = audio[position : position + 4]
        if word not in sizes:
            sizes[word] = read_header(audio, position).size
        position += sizes[word]
        frames += 1
    if position != len(audio):
        raise AudioError("MP3 data ends inside a frame")
    delay_padding = int.from_bytes(info[tag + _PADDING_FIELD : tag + _PADDING_FIELD + 3], "big")
    return EncodedStream(
        info_frame=info,
        audio=audio,
        frame_count=frames,
        frame_samples=header.samples,
        delay=delay_padding >> 12,
        padding=delay_padding & 0xFFF,
        music_crc=int.from_bytes(info[tag + _MUSIC_CRC_FIELD : tag + _MUSIC_CRC_FIELD + 2], "big"),
    )


def join_streams(pieces: list[EncodedStream]) -> tuple[bytes, list[bytes]]:
    """The Info frame for `pieces` played one after another, and the audio to follow it.

    The first piece's Info frame is the template (same encoder, format and delay); counts, seek
    table, end padding (the last piece's) and checksums are made for the whole.
    """
    if not pieces:
        raise AudioError("nothing to join")
    frame = bytearray(pieces[0].info_frame)
    header = read_header(frame)
    tag = _tag_offset(frame, header)
    frames = sum(p.frame_count for p in pieces)
    size = len(frame) + sum(len(p.audio) for p in pieces)
    _put(frame, tag + _FRAMES_FIELD, 4, frames)
    _put(frame, tag + _BYTES_FIELD, 4, size)
    frame[tag + _TOC_FIELD : tag + _TOC_FIELD + _TOC_SIZE] = _seek_table(pieces, len(frame), size)
    _put(frame, tag + _PADDING_FIELD, 3, (pieces[0].delay << 12) | pieces[-1].padding)
    _put(frame, tag + _MUSIC_LENGTH_FIELD, 4, size)
    music_crc = 0
    for piece in pieces:
        music_crc = crc16_combine(music_crc, piece.music_crc, len(piece.audio))
    _put(frame, tag + _MUSIC_CRC_FIELD, 2, music_crc)
    _put(frame, tag + _TAG_CRC_FIELD, 2, 0)
    _put(frame, tag + _TAG_CRC_FIELD, 2, crc16(bytes(frame[:_TAG_CRC_SPAN])))
    return bytes(frame), [p.audio for p in pieces]


def _tag_offset(frame: bytes | bytearray, header: FrameHeader) -> int:
    tag = 4 + header.side_info_size
    if bytes(frame[tag : tag + 4]) not in _TAG_NAMES:
        raise AudioError("the encoder wrote no Xing/Info frame")
    flags = int.from_bytes(frame[tag + 4 : tag + 8], "big")
    if flags & _ALL_FIELDS != _ALL_FIELDS or len(frame) < tag + _TAG_CRC_FIELD + 2:
        raise AudioError("the encoder's Info frame lacks a field the joined stream needs")
    return tag


def _seek_table(pieces: list[EncodedStream], info_size: int, size: int) -> bytes:
    """Xing seek table: entry i is the byte offset, in 256ths of the file, at i% of the frames.
    Frames of one piece differ in size by at most a padding byte, so offsets inside a piece are
    interpolated."""
    starts, offset, frame = [], info_size, 0
    for piece in pieces:
        starts.append((frame, offset, piece))
        frame += piece.frame_count
        offset += len(piece.audio)
    table = bytearray(_TOC_SIZE)
    index = 0
    for i in range(1, _TOC_SIZE):
        target = i * frame // _TOC_SIZE
        while index + 1 < len(starts) and starts[index + 1][0] <= target:
            index += 1
        first, position, piece = starts[index]
        position += len(piece.audio) * (target - first) // max(1, piece.frame_count)
        table[i] = min(255, 256 * position // size)
    return bytes(table)


def _put(frame: bytearray, offset: int, length: int, value: int) -> None:
    frame[offset : offset + length] = value.to_bytes(length, "big")


@functools.cache
def _crc16_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC (reflected polynomial 0xA001, initial value 0), as LAME tags use."""
    table = _crc16_table()
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def crc16_combine(crc_a: int, crc_b: int, length_b: int) -> int:
    """CRC-16/ARC of A followed by B, from their CRCs and B's length, without reading either.

    The CRC is linear over GF(2) and B's starts from 0, so CRC(A + B) is CRC(A) carried through
    `length_b` zero bytes, plus CRC(B); carrying is a 16x16 bit matrix raised to that power.
    """
    carry = _zero_byte_matrix()
    state = crc_a
    while length_b:
        if length_b & 1:
            state = _apply(carry, state)
        carry = _square(carry)
        length_b >>= 1
    return state ^ crc_b


@functools.cache
def _zero_byte_matrix() -> tuple[int, ...]:
    """Column j: what feeding one zero byte makes of a register holding only bit j."""
    columns = []
    for bit in range(16):
        crc = 1 << bit
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        columns.append(crc)
    return tuple(columns)


def _apply(matrix: tuple[int, ...], vector: int) -> int:
    result, bit = 0, 0
    while vector:
        if vector & 1:
            result ^= matrix[bit]
        vector >>= 1
        bit += 1
    return result


def _square(matrix: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(_apply(matrix, column) for column in matrix)
