"""Files → documents → clause chunks: loaders, normalizer, segmenter, clause splitter, pipeline."""
