"""Shared fixtures: the real model folder and encoders, loaded once per test session."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from config import get_settings  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GAZETTE = PROJECT_ROOT / "corpus" / "qinghai_gazette_2017.txt"
DEV_SET = PROJECT_ROOT / "evaluation" / "data" / "seed_dev.jsonl"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    from models.build import build_model_folder

    path = get_settings().model_dir
    build_model_folder(path)  # a no-op when the folder is intact
    return path


@pytest.fixture(scope="session")
def torch_encoder(model_dir):
    from models.encoder import TorchEncoder

    return TorchEncoder(model_dir)


@pytest.fixture(scope="session")
def onnx_encoder(model_dir):
    from models.encoder import OnnxInt8Encoder

    return OnnxInt8Encoder(model_dir)
