"""The encoder graph as ONNX Runtime runs it: the exported int8 graph minus work whose result is known.

The export of BERT's attention (torch's scaled-dot-product attention) leaves two kinds of work
that change nothing for our inputs, and both run on the (batch, heads, tokens, tokens) score
tensors, so they cost ~15% of a passage's encoding time:

- ``Where(IsNaN(softmax), 0, softmax)`` after every softmax: a softmax row is NaN only when
  every key of a sequence is masked, and every sequence the encoder builds holds at least its
  ``<s>`` and ``</s>`` tokens, so the guard returns its input unchanged;
- ``Where(mask, 0, -inf)`` recomputed in each of the 12 layers from the same mask and the same
  constants: computed once and shared.

The rewrite happens in memory when a session is opened (the files, their checksums and the
encoder's name are untouched) and the vectors are bit-identical (tests/models/test_encoder_graph.py).

The rewritten graph also returns the last layer's token states (``TOKEN_STATES``), which the
pooling at its end averages into the passage vector: averaging them over a sentence's tokens
instead gives that sentence's vector in the context of its passage, so an index gets its answer
sentences' vectors from the passage's own run (``models.encoder.run_session``).
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

TOKEN_STATES = "token_states"


def _constant_values(graph) -> dict[str, bytes]:
    from onnx import TensorProto, numpy_helper

    values = {init.name: numpy_helper.to_array(init).tobytes() for init in graph.initializer
              if init.data_location != TensorProto.EXTERNAL}  # the weights (external) are not read
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t).tobytes()
    return values


def lean_graph(path: Path) -> bytes:
    """The graph at ``path`` without the no-op attention work and with ``TOKEN_STATES`` as a second output, serialized.

    External weights stay where they are: open the result with the session option
    ``session.model_external_initializers_file_folder_path`` set to ``path``'s folder.
    """
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    graph = model.graph
    producer = {out: node for node in graph.node for out in node.output}
    constants = _constant_values(graph)
    rename: dict[str, str] = {}
    dropped: set[int] = set()
    shared_masks: dict[tuple, str] = {}
    for node in graph.node:
        if node.op_type != "Where" or node.input[0] not in producer:
            continue
        source = producer[node.input[0]]
        if source.op_type == "IsNaN" and source.input[0] == node.input[2] and constants.get(node.input[1]) is not None:
            rename[node.output[0]] = node.input[2]  # Where(IsNaN(p), c, p) = p when p has no NaN
            dropped.update((id(node), id(source)))
        elif source.op_type == "Expand" and node.input[1] in constants and node.input[2] in constants:
            key = (node.input[0], constants[node.input[1]], constants[node.input[2]])
            if key in shared_masks:
                rename[node.output[0]] = shared_masks[key]
                dropped.add(id(node))
            else:
                shared_masks[key] = node.output[0]
    _expose_token_states(graph)
    kept = [n for n in graph.node if id(n) not in dropped]
    for node in kept:
        for i, name in enumerate(node.input):
            node.input[i] = rename.get(name, name)
    used = {name for node in kept for name in node.input} | {out.name for out in graph.output}
    kept = [n for n in kept if n.op_type != "Constant" or n.output[0] in used]
    del graph.node[:]
    graph.node.extend(kept)
    log.debug("%s: %d no-op attention nodes left out", path, len(dropped))
    return model.SerializeToString()


def _expose_token_states(graph) -> None:
    """Name the last LayerNormalization's output (the token states the pooling averages) as a graph output."""
    from onnx import TensorProto, helper

    norms = [n for n in graph.node if n.op_type == "LayerNormalization"]
    if not norms:
        raise ValueError("the encoder graph has no LayerNormalization: not a BERT-style encoder")
    last = norms[-1].output[0]
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == last:
                node.input[i] = TOKEN_STATES
    for out in graph.output:
        if out.name == last:
            out.name = TOKEN_STATES
    norms[-1].output[0] = TOKEN_STATES
    if all(out.name != TOKEN_STATES for out in graph.output):
        graph.output.append(helper.make_tensor_value_info(TOKEN_STATES, TensorProto.FLOAT, None))
