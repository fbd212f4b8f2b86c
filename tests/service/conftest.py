import pytest
from fastapi.testclient import TestClient

from service.app import create_app


@pytest.fixture(scope="module")
def client(test_settings, gazette_index):
    """The real app over the shared gazette index (read-only routes)."""
    with TestClient(create_app(test_settings)) as c:
        yield c


@pytest.fixture()
def writable_client(tmp_path, test_settings, gazette_index):
    """An app over a private copy of the index, for upload and delete."""
    from indexer.backends.local import LocalIndex

    settings = test_settings.model_copy(update={"index_dir": tmp_path / "idx", "store_dir": tmp_path / "store"})
    private = LocalIndex(settings.index_dir, settings, gazette_index.encoder)
    private.build(list(gazette_index.documents.values()), list(gazette_index.chunks))
    with TestClient(create_app(settings)) as c:
        yield c
