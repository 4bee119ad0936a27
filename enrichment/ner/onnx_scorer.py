"""An ONNX Runtime session over the exported NER graph (``onnx_export``), behind ``PieceScorer``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from enrichment.ner.inference import FloatArray, IdArray
from enrichment.ner.onnx_export import OUTPUT_NAME

# ONNX Runtime would fold each residual add into a SkipLayerNormalization op, whose CPU kernel was five
# times slower here than the separate Add and LayerNormalization it replaces.
DISABLED_FUSIONS = ["SkipLayerNormFusion"]


class OnnxScorer:
    """Runs the graph at ``path`` on the CPU with ``threads`` intra-op threads (one per process is the
    fastest use of a core when each core runs its own process, as the stream does)."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Batch shapes change from call to call (windows are padded only to their batch's longest), so a
        # memory plan recorded for one shape is never reused; recording it cost about 3 % of run time.
        options.enable_mem_pattern = False
        self.path = path
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"],
                                            disabled_optimizers=DISABLED_FUSIONS)

    def __call__(self, input_ids: IdArray, attention_mask: IdArray, casing_ids: IdArray) -> FloatArray:
        feed = {"input_ids": input_ids, "attention_mask": attention_mask, "casing_ids": casing_ids}
        [log_probs] = self.session.run([OUTPUT_NAME], feed)
        return np.asarray(log_probs, dtype=np.float32)
