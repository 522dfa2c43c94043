"""Audio in and out: decode whatever a person hands us, resample, measure, and write WAV files.

Synthetic speech is written with a LIST/INFO chunk whose comment says it is AI-generated (EU AI
Act Art. 50(2)); `wav_info` reads it back.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from os1.errors import InputError
from os1.voice import AI_SPEECH_NOTE, Audio

__all__ = [
    "WavWriter",
    "decode_audio",
    "from_float",
    "levels",
    "resample",
    "to_float",
    "wav_bytes",
    "wav_info",
]

Floats = npt.NDArray[np.float32]

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


def to_float(audio: Audio) -> Floats:
    """Samples as float32 in [-1, 1]."""
    return np.frombuffer(audio.pcm, dtype="<i2").astype(np.float32) / 32768.0


def from_float(samples: Floats, sample_rate: int) -> Audio:
    """Float samples (clipped to [-1, 1]) as PCM16."""
    clipped = np.clip(samples, -1.0, 1.0)
    return Audio((clipped * 32767.0).astype("<i2").tobytes(), sample_rate)


def resample(audio: Audio, sample_rate: int) -> Audio:
    """The same sound at another rate (FFT resampling: no aliasing when going down)."""
    if audio.sample_rate == sample_rate or not audio.pcm:
        return Audio(audio.pcm, sample_rate)
    x = to_float(audio)
    n_out = max(1, round(len(x) * sample_rate / audio.sample_rate))
    spectrum = np.fft.rfft(x)
    y = np.fft.irfft(spectrum[: n_out // 2 + 1], n_out) * (n_out / len(x))
    return from_float(y.astype(np.float32), sample_rate)


def levels(audio: Audio) -> tuple[float, float]:
    """Loudness in dBFS (RMS; -inf for digital silence) and the fraction of clipped samples."""
    x = np.frombuffer(audio.pcm, dtype="<i2")
    if not len(x):
        return float("-inf"), 0.0
    rms = float(np.sqrt(np.mean((x.astype(np.float64) / 32768.0) ** 2)))
    clipped = float(np.mean(np.abs(x.astype(np.int32)) >= 32700))
    return (20 * np.log10(rms) if rms > 0 else float("-inf")), clipped


# --- reading ----------------------------------------------------------------------------------


def decode_audio(data: bytes, *, max_s: float | None = None) -> Audio:
    """Mono PCM16 from a WAV file (any PCM or float format) or, through PyAV, any other format.

    `max_s` keeps only the beginning, so a ten-minute file costs no more than `max_s` seconds.
    Raises `InputError` for an empty or unreadable file.
    """
    if not data:
        raise InputError("the audio is empty (0 bytes)")
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        audio = _decode_wav(data)
    else:
        audio = _decode_other(data)
    if max_s is not None and audio.duration_s > max_s:
        audio = Audio(audio.pcm[: int(max_s * audio.sample_rate) * 2], audio.sample_rate)
    return audio


def _chunks(data: bytes) -> dict[bytes, bytes]:
    found: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        found.setdefault(cid, data[pos + 8 : pos + 8 + size])
        pos += 8 + size + (size & 1)
    return found


def _decode_wav(data: bytes) -> Audio:
    chunks = _chunks(data)
    fmt, body = chunks.get(b"fmt "), chunks.get(b"data")
    if fmt is None or len(fmt) < 16 or body is None:
        raise InputError("the WAV file is damaged (no fmt or data chunk)")
    tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]
    if channels < 1 or rate < 1000 or rate > 384_000:
        raise InputError(f"the WAV file says {channels} channels at {rate} Hz; that is not audio")
    width = bits // 8
    frame = width * channels
    body = body[: len(body) // frame * frame] if frame else b""
    if tag == _PCM and width == 1:
        x = (np.frombuffer(body, np.uint8).astype(np.float32) - 128) / 128
    elif tag == _PCM and width == 2:
        x = np.frombuffer(body, "<i2").astype(np.float32) / 32768
    elif tag == _PCM and width == 3:
        raw = np.frombuffer(body, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        x = (np.where(ints >= 1 << 23, ints - (1 << 24), ints) / float(1 << 23)).astype(np.float32)
    elif tag == _PCM and width == 4:
        x = (np.frombuffer(body, "<i4") / float(1 << 31)).astype(np.float32)
    elif tag == _FLOAT and width in (4, 8):
        x = np.nan_to_num(np.frombuffer(body, "<f4" if width == 4 else "<f8")).astype(np.float32)
    else:
        raise InputError(f"WAV format {tag} with {bits}-bit samples is not supported")
    mono = x.reshape(-1, channels).mean(axis=1) if channels > 1 else x
    return from_float(mono.astype(np.float32), rate)


def _decode_other(data: bytes) -> Audio:
    try:
        import av
    except ImportError:
        raise InputError("only WAV files can be read without PyAV (pip install av)") from None
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise InputError("the file has no audio in it")
            stream = container.streams.audio[0]
            rate = stream.rate or 16000
            resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
            parts: list[bytes] = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    parts.append(bytes(out.planes[0])[: out.samples * 2])
            for out in resampler.resample(None):
                parts.append(bytes(out.planes[0])[: out.samples * 2])
    except InputError:
        raise
    except Exception as err:  # PyAV raises many kinds for a file that is not audio
        raise InputError(f"this is not audio os1 can read ({type(err).__name__})") from None
    return Audio(b"".join(parts), rate)


def wav_info(data: bytes) -> dict[str, str]:
    """The LIST/INFO tags of a WAV file (e.g. {'ICMT': 'AI-generated speech (os1)'})."""
    info: dict[str, str] = {}
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = data[pos + 8 : pos + 8 + size]
        if cid == b"LIST" and body[:4] == b"INFO":
            sub = 4
            while sub + 8 <= len(body):
                tag, length = body[sub : sub + 4], struct.unpack("<I", body[sub + 4 : sub + 8])[0]
                text = body[sub + 8 : sub + 8 + length].rstrip(b"\0").decode("utf-8", "replace")
                info[tag.decode("ascii", "replace")] = text
                sub += 8 + length + (length & 1)
        pos += 8 + size + (size & 1)
    return info


# --- writing ----------------------------------------------------------------------------------


def _info_chunk(tags: dict[str, str]) -> bytes:
    body = b"INFO"
    for tag, text in tags.items():
        raw = text.encode("utf-8") + b"\0"
        body += tag.encode("ascii")[:4].ljust(4) + struct.pack("<I", len(raw)) + raw
        if len(raw) & 1:
            body += b"\0"
    return b"LIST" + struct.pack("<I", len(body)) + body


def synthetic_tags(voice: str) -> dict[str, str]:
    """The metadata every synthesized file carries: AI-generated, by os1, with which voice."""
    return {"ICMT": AI_SPEECH_NOTE, "ISFT": "os1", "IENG": voice}


class WavWriter:
    """Writes PCM16 mono as it arrives, so the first words are on disk before the last exist.

    The header's sizes are fixed up on close. `tags` become a LIST/INFO chunk before the data.
    """

    def __init__(self, target: Path | BinaryIO, sample_rate: int, tags: dict[str, str]) -> None:
        self._own = isinstance(target, Path)
        self._file: BinaryIO = target.open("wb") if isinstance(target, Path) else target
        self.sample_rate = sample_rate
        self.bytes_written = 0
        info = _info_chunk(tags) if tags else b""
        fmt = struct.pack("<HHIIHH", _PCM, 1, sample_rate, sample_rate * 2, 2, 16)
        self._header = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + info
        self._file.write(b"RIFF" + struct.pack("<I", 0) + self._header)
        self._file.write(b"data" + struct.pack("<I", 0))
        self._file.flush()

    def write(self, pcm: bytes) -> None:
        """Append samples."""
        self._file.write(pcm)
        self._file.flush()
        self.bytes_written += len(pcm)

    def close(self) -> None:
        """Write the final sizes (and close the file if this writer opened it)."""
        pad = self.bytes_written & 1
        if pad:
            self._file.write(b"\0")
        self._file.seek(4)
        self._file.write(struct.pack("<I", len(self._header) + 8 + self.bytes_written + pad))
        self._file.seek(4 + 4 + len(self._header) + 4)
        self._file.write(struct.pack("<I", self.bytes_written))
        self._file.seek(0, io.SEEK_END)
        self._file.flush()
        if self._own:
            self._file.close()

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def wav_bytes(audio: Audio, tags: dict[str, str] | None = None) -> bytes:
    """A whole WAV file in memory."""
    buffer = io.BytesIO()
    writer = WavWriter(buffer, audio.sample_rate, tags or {})
    writer.write(audio.pcm)
    writer.close()
    return buffer.getvalue()
