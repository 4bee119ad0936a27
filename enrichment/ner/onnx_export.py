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
3. outlier channels: each linear layer's input has a few channels (often one) whose values are
   several times larger than all others, the same channels for every token. One int8 scale for the
   whole activation would spend most of its 256 steps on them, so the largest ``OUTLIER_CHANNELS``
   (found on ``CALIBRATION_TEXT``) are multiplied in float32 by their weight rows and zeroed in the
   input of the int8 product, which then gets a finer scale. This brought int8 back to float32's F1
   on customs dev (6-layer model: 0.769 without it, 0.812 with it and in float32) at about a fifth of
   the speed;
4. int8: dynamic quantisation of the attention and linear layers' weights, one scale per output
   channel, activations quantised per batch as they come (``kept_float`` nodes stay float32).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import torch

from enrichment.ner.model import (
    MANIFEST_FILE,
    PACKED_WEIGHTS_FILE,
    WEIGHTS_FILE,
    CasedTokenClassifier,
    load_model,
)

EXPORT_VERSION = 2
# Input channels split off each int8 product: the largest one or two carry the outliers in every layer
# (up to 15 times the median channel); four also covers the layers with three. Splitting only where the
# largest channel exceeded 6x the median (10 of 18 products) scored lower on customs dev (0.786).
OUTLIER_CHANNELS = 4
# Sentences written for this purpose (newswire-like and trade/PNR capitals), only to find which
# activation channels carry outliers; no evaluation set shares them.
CALIBRATION_TEXT = Path(__file__).resolve().parent / "data" / "calibration.txt"
OUTLIER_SUFFIX = "/outlier_channels"
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask", "casing_ids")
OUTPUT_NAME = "log_probs"
KEPT_GRAPHS = 4
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
    """Nodes that stay float32 in the int8 graph: the label head and the outlier-channel products."""
    return "/classifier/" in node_name or node_name.endswith(OUTLIER_SUFFIX)


def calibration_inputs(model_dir: Path) -> dict[str, npt.NDArray[np.int64]]:
    """Model inputs for ``CALIBRATION_TEXT``, built as inference builds them."""
    from enrichment.ner.model import encode_words, load_manifest, load_tokenizer

    sentences = [line.split() for line in CALIBRATION_TEXT.read_text(encoding="utf-8").splitlines() if line.strip()]
    batch = encode_words(load_tokenizer(model_dir), sentences, load_manifest(model_dir).max_length)
    arrays = (batch.input_ids, batch.attention_mask, batch.casing_ids)
    return {name: tensor.numpy().astype(np.int64) for name, tensor in zip(INPUT_NAMES, arrays, strict=True)}


def outlier_channels(magnitude: npt.NDArray[np.float32], count: int = OUTLIER_CHANNELS) -> npt.NDArray[np.int64]:
    """The ``count`` input channels of largest magnitude, in channel order."""
    return np.sort(np.argsort(magnitude)[::-1][:count]).astype(np.int64)


def split_outlier_channels(source: Path, target: Path, feed: dict[str, npt.NDArray[np.int64]]) -> int:
    """Rewrite each weight ``MatMul`` (not ``kept_float``) as ``MatMul(x * mask, W) + MatMul(x[..., top], W[top])``,
    ``top`` being the ``outlier_channels`` of its input on ``feed``.

    Returns how many products were split. The first product is what int8 quantisation later takes.
    """
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    targets = [node for node in graph.node
               if node.op_type == "MatMul" and node.input[1] in weights and not kept_float(node.name)]
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    known = {output.name for output in probe.graph.output}
    for name in dict.fromkeys(node.input[0] for node in targets):
        if name not in known:
            probe.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    mask = feed["attention_mask"].astype(bool)
    magnitude = {name: np.abs(value[mask]).max(axis=0)
                 for name, value in zip(names, session.run(names, feed), strict=True)
                 if name not in known}
    split = {node.name for node in targets}
    rewritten: list[onnx.NodeProto] = []
    count = 0
    for original in graph.node:
        node = onnx.NodeProto()
        node.CopyFrom(original)  # detached: the graph's own node list is replaced below
        top = outlier_channels(magnitude[node.input[0]]) if node.name in split else np.zeros(0, dtype=np.int64)
        if not top.size:
            rewritten.append(node)
            continue
        count += 1
        source_input, weight, output = node.input[0], numpy_helper.to_array(weights[node.input[1]]), node.output[0]
        keep = np.ones(weight.shape[0], dtype=np.float32)
        keep[top] = 0.0
        prefix = node.name
        graph.initializer.extend([
            numpy_helper.from_array(keep, f"{prefix}/inlier_mask"),
            numpy_helper.from_array(top, f"{prefix}/outlier_index"),
            numpy_helper.from_array(weight[top], f"{prefix}/outlier_weight"),
        ])
        rewritten.append(helper.make_node("Mul", [source_input, f"{prefix}/inlier_mask"], [f"{prefix}/inliers"],
                                          name=f"{prefix}/inlier_mask_mul"))
        rewritten.append(helper.make_node("Gather", [source_input, f"{prefix}/outlier_index"],
                                          [f"{prefix}/outliers"], name=f"{prefix}/outlier_gather", axis=-1))
        rewritten.append(helper.make_node("MatMul", [f"{prefix}/outliers", f"{prefix}/outlier_weight"],
                                          [f"{prefix}/outlier_product"], name=prefix + OUTLIER_SUFFIX))
        node.input[0] = f"{prefix}/inliers"
        node.output[0] = f"{prefix}/inlier_product"
        rewritten.append(node)
        rewritten.append(helper.make_node("Add", [f"{prefix}/inlier_product", f"{prefix}/outlier_product"], [output],
                                          name=f"{prefix}/outlier_add"))
    del graph.node[:]
    graph.node.extend(rewritten)
    onnx.save(model, str(target))
    return count


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
            split = Path(scratch) / "split.onnx"
            split_outlier_channels(fused, split, calibration_inputs(model_dir))
            quantize_int8(split, target)
        else:
            fused.replace(target)


def cached_onnx(model_dir: Path, cache_dir: Path, form: OnnxForm) -> Path:
    """The ONNX graph of the model in ``model_dir``, built into ``cache_dir`` unless already there.

    Written under a temporary name and renamed, so a process that starts while another builds never
    reads half a file (both may build; the last rename wins with identical content).
    """
    path = cache_dir / f"ner-{weights_digest(model_dir)[:20]}-{form}.onnx"
    if path.is_file():
        os.utime(path)  # last use, for pruning
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_dir / f".{path.name}.{os.getpid()}.partial"
    try:
        build_onnx(model_dir, partial, form)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    prune(cache_dir, KEPT_GRAPHS)
    return path


def prune(cache_dir: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recently used graphs (each retrained model leaves one of ~60 MB)."""
    graphs = sorted(cache_dir.glob("ner-*.onnx"), key=lambda graph: graph.stat().st_mtime, reverse=True)
    for stale in graphs[keep:]:
        stale.unlink(missing_ok=True)
