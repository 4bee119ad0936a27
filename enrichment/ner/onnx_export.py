"""The NER classifier as an ONNX Runtime graph: exported from the torch model, fused, quantised to int8, cached.

The graph is built from a model directory's own weights the first time it is needed (nothing is
downloaded) and written to a cache directory under a name that carries a digest of those weights and
``EXPORT_VERSION``: a retrained or re-packed model, or a change to the recipe below, gets a new file,
and a stale one is never read. Building takes about half a minute of one core.

Recipe (``benchmarks/ner.py`` measures its speed and F1 against float32):

1. export with eager attention, so that ONNX Runtime's BERT fusions recognise the attention block;
   the graph ends in a log-softmax, so it returns label log-probabilities;
2. fuse attention (one ``Attention`` op per layer), bias + GELU and layer normalisation. The residual
   add is left outside layer normalisation: the fused ``SkipLayerNormalization`` kernel ran five times
   slower than ``Add`` + ``LayerNormalization`` on this CPU, so the session also disables that fusion
   (``onnx_scorer``);
3. int8: dynamic quantisation of the attention and linear layers' weights, one scale per output
   channel, activations quantised per batch as they come (``KEPT_FLOAT`` stays float32).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path
from typing import Literal

import torch

from enrichment.ner.model import (
    MANIFEST_FILE,
    PACKED_WEIGHTS_FILE,
    WEIGHTS_FILE,
    CasedTokenClassifier,
    load_model,
)

EXPORT_VERSION = 1
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "casing_ids")
OUTPUT_NAME = "log_probs"
OnnxForm = Literal["fp32", "int8"]


class _LogProbabilities(torch.nn.Module):
    def __init__(self, model: CasedTokenClassifier) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, casing_ids: torch.Tensor) -> torch.Tensor:
        return torch.log_softmax(self.model(input_ids, attention_mask, casing_ids), dim=-1)


def export_float(model: CasedTokenClassifier, path: Path) -> None:
    """Write ``model`` as a float32 ONNX graph (batch and piece axes dynamic)."""
    model.encoder.set_attn_implementation("eager")
    wrapped = _LogProbabilities(model).eval()
    example = (torch.full((2, 8), 1000, dtype=torch.long), torch.ones((2, 8), dtype=torch.long),
               torch.ones((2, 8), dtype=torch.long))
    axes = {name: {0: "batch", 1: "pieces"} for name in (*INPUT_NAMES, OUTPUT_NAME)}
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the torch.export one, which needs onnxscript
        # (not installed); it still exports this encoder exactly.
        warnings.simplefilter("ignore")
        torch.onnx.export(wrapped, example, str(path), dynamo=False, input_names=list(INPUT_NAMES),
                          output_names=[OUTPUT_NAME], dynamic_axes=axes, opset_version=OPSET)


def fuse(source: Path, target: Path, num_heads: int, hidden_size: int) -> None:
    """ONNX Runtime's BERT fusions, without folding the residual add into layer normalisation."""
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    options = FusionOptions("bert")
    options.enable_skip_layer_norm = False
    options.enable_bias_skip_layer_norm = False
    fused = optimizer.optimize_model(str(source), model_type="bert", num_heads=num_heads, hidden_size=hidden_size,
                                     optimization_options=options, opt_level=0)
    fused.save_model_to_file(str(target))


def kept_float(node_name: str) -> bool:
    """Nodes that stay float32 in the int8 graph: the label head."""
    return "/classifier/" in node_name


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8: weights per output channel, activations per batch, ``kept_float`` nodes left alone."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    excluded = [node.name for node in graph.node if kept_float(node.name)]
    quantize_dynamic(
        str(source), str(target), per_channel=True, weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul", "Attention"], nodes_to_exclude=excluded,
        # The fused ops (Attention, BiasGelu) are outside ONNX's shape inference; their outputs are float32.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def weights_digest(model_dir: Path) -> str:
    """Digest of what the graph is built from: weights, encoder config, manifest and the export recipe."""
    import onnxruntime

    digest = hashlib.sha256(f"{EXPORT_VERSION} {torch.__version__} {onnxruntime.__version__}".encode())
    for name in (WEIGHTS_FILE, PACKED_WEIGHTS_FILE, "config.json", MANIFEST_FILE):
        path = model_dir / name
        if path.is_file():
            digest.update(name.encode())
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def build_onnx(model_dir: Path, target: Path, form: OnnxForm) -> None:
    """Export, fuse and (for ``int8``) quantise the model in ``model_dir`` into ``target``."""
    model, _, _ = load_model(model_dir)
    config = model.encoder.config
    with tempfile.TemporaryDirectory(prefix="ner-onnx-") as scratch:
        exported, fused = Path(scratch) / "exported.onnx", Path(scratch) / "fused.onnx"
        export_float(model, exported)
        fuse(exported, fused, int(config.num_attention_heads), int(config.hidden_size))
        if form == "int8":
            quantize_int8(fused, target)
        else:
            fused.replace(target)


def cached_onnx(model_dir: Path, cache_dir: Path, form: OnnxForm) -> Path:
    """The ONNX graph of the model in ``model_dir``, built into ``cache_dir`` unless already there.

    Written under a temporary name and renamed, so a process that starts while another builds never
    reads half a file (both may build; the last rename wins with identical content).
    """
    path = cache_dir / f"ner-{weights_digest(model_dir)[:20]}-{form}.onnx"
    if path.is_file():
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_dir / f".{path.name}.{os.getpid()}.partial"
    try:
        build_onnx(model_dir, partial, form)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
