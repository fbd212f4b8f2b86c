"""WORKERS > 1: several uvicorn worker processes serve the same index; the model file is shared, not copied."""

import httpx
import pytest

from evaluation.bench_service import ServiceProcess, process_memory_mb

pytestmark = pytest.mark.slow


def test_two_workers_answer_and_share_the_mapped_model(test_settings, gazette_index):
    with httpx.Client() as client, ServiceProcess(gazette_index.index_dir, workers=2,
                                                  env={"MODEL_DIR": str(test_settings.model_dir)}) as service:
        service.wait_ready(client)
        question = {"question": "农村低保一年人均能拿到多少？"}
        for _ in range(6):
            response = client.post(f"{service.url}/v1/ask", json=question, timeout=60)
            assert response.status_code == 200 and "3320" in response.json()["answer"]
        memory = process_memory_mb(service.process.pid)
    assert memory["processes"] >= 3  # the supervisor and two workers
    assert memory["pss_mb"] < memory["rss_mb"]  # shared pages (the memory-mapped model) are counted once
