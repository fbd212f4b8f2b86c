"""How the app sizes its encoder threads (no model is loaded: the lifespan does not run here)."""

from config import get_settings
from service.app import create_app
from service.compute_pool import default_threads


def _encoder_threads(tmp_path, **fields) -> int:
    settings = get_settings().model_copy(update={"feedback_db": tmp_path / "log.sqlite", **fields})
    return create_app(settings).state.settings.encoder_threads


def test_each_request_encodes_with_its_share_of_the_cores(tmp_path):
    cores = default_threads()
    assert _encoder_threads(tmp_path, encoder_threads=0, compute_threads=0) == 1  # one request per core
    assert _encoder_threads(tmp_path, encoder_threads=0, compute_threads=1) == cores
    assert _encoder_threads(tmp_path, encoder_threads=0, compute_threads=cores * 4) == 1
    assert _encoder_threads(tmp_path, encoder_threads=3, compute_threads=0) == 3  # a set value is kept
