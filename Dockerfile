# Mirrors `make run`: install, build the model folder, index corpus/, serve on 8000.
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HOST=0.0.0.0 PORT=8000 \
    INDEX_DIR=/app/var/index MODEL_DIR=/app/models/e5-small
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
# torch is pinned in pyproject.toml to the CPU build (2.13.0)
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu -e . \
    && python -m models build --model-dir "$MODEL_DIR" \
    && python -m indexer build corpus --index "$INDEX_DIR" --if-missing
EXPOSE 8000
CMD ["python", "-m", "service", "--index", "/app/var/index", "--host", "0.0.0.0", "--port", "8000"]
