"""Hand-written safetensors reader/writer (single file and sharded with an index).

Written from the file-format description, not from the `safetensors` package, so that the golden
fixtures do not depend on it:
  [u64 little-endian header length N][N bytes of JSON header][raw tensor bytes]
The header maps tensor name -> {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to
the start of the byte buffer after the header) plus an optional "__metadata__" string->string map.
"""
import json
import os
import struct

import numpy as np
import torch

# safetensors dtype tag -> (torch dtype, bytes per element)
_DTYPES = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    # raw bytes: ModelOpt FP8 codes (F8_E4M3) and packed NVFP4 pairs (U8), decoded by modelopt_ref
    "F8_E4M3": (torch.uint8, 1),
    "U8": (torch.uint8, 1),
}
_TAG_OF = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
           torch.uint8: "U8"}

INDEX_NAME = "model.safetensors.index.json"
SINGLE_NAME = "model.safetensors"


def _tensor_from_bytes(raw: bytes, tag: str, shape):
    if tag not in _DTYPES:
        raise ValueError(f"unsupported safetensors dtype {tag!r} (expected one of {sorted(_DTYPES)})")
    dtype, size = _DTYPES[tag]
    count = int(np.prod(shape)) if len(shape) else 1
    if len(raw) != count * size:
        raise ValueError(f"tensor byte size {len(raw)} does not match shape {shape} x {size} bytes")
    if dtype == torch.bfloat16:
        # numpy has no bfloat16: read the raw 16-bit patterns and reinterpret them in torch.
        bits = np.frombuffer(raw, dtype="<i2").copy()
        return torch.from_numpy(bits).view(torch.bfloat16).reshape(shape)
    np_dtype = {torch.float64: "<f8", torch.float32: "<f4", torch.float16: "<f2", torch.uint8: "u1"}[dtype]
    return torch.from_numpy(np.frombuffer(raw, dtype=np_dtype).copy()).reshape(shape)


def _tensor_to_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    np_dtype = {torch.float64: "<f8", torch.float32: "<f4", torch.float16: "<f2", torch.uint8: "u1"}[t.dtype]
    return t.numpy().astype(np_dtype).tobytes()


def read_file(path, dtypes=None):
    """Returns ({name: tensor}, metadata dict) of one .safetensors file; fills `dtypes` with the tags."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: file shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} exceeds file size {len(blob)}")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        if not (0 <= begin <= end <= len(data)):
            raise ValueError(f"{path}: tensor {name} offsets {begin}..{end} outside data ({len(data)} bytes)")
        tensors[name] = _tensor_from_bytes(data[begin:end], info["dtype"], list(info["shape"]))
        if dtypes is not None:
            dtypes[name] = info["dtype"]
    return tensors, meta


def write_file(path, tensors, metadata=None, dtypes=None):
    """Writes {name: tensor} in insertion order; deterministic bytes for identical input. `dtypes` may
    name the tag of uint8 tensors that hold FP8 codes ({name: "F8_E4M3"}; default "U8")."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks, offset = [], 0
    for name, t in tensors.items():
        if t.dtype not in _TAG_OF:
            raise ValueError(f"tensor {name}: dtype {t.dtype} cannot be stored")
        raw = _tensor_to_bytes(t)
        tag = (dtypes or {}).get(name, _TAG_OF[t.dtype])
        if _DTYPES[tag][0] != t.dtype:
            raise ValueError(f"tensor {name}: tag {tag} does not fit dtype {t.dtype}")
        header[name] = {"dtype": tag, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    hdr = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hdr += b" " * ((-len(hdr)) % 8)  # pad so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hdr)))
        f.write(hdr)
        for raw in chunks:
            f.write(raw)


def write_sharded(directory, tensors, n_shards, metadata=None):
    """Splits tensors (in order) over n_shards files model-0000k-of-0000n.safetensors + index."""
    names = list(tensors)
    per = -(-len(names) // n_shards)
    weight_map, total = {}, 0
    for k in range(n_shards):
        fname = f"model-{k + 1:05d}-of-{n_shards:05d}.safetensors"
        part = {n: tensors[n] for n in names[k * per:(k + 1) * per]}
        write_file(os.path.join(directory, fname), part, metadata)
        for n, t in part.items():
            weight_map[n] = fname
            total += t.numel() * t.element_size()
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(directory, INDEX_NAME), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")


def read_checkpoint(directory, dtypes=None):
    """Reads every tensor of a checkpoint directory: sharded (index present) or single file.
    Fills `dtypes` (if given) with {name: safetensors dtype tag}."""
    index_path = os.path.join(directory, INDEX_NAME)
    if os.path.exists(index_path):
        with open(index_path) as f:
            weight_map = json.load(f)["weight_map"]
        tensors = {}
        for fname in sorted(set(weight_map.values())):
            part, _ = read_file(os.path.join(directory, fname), dtypes)
            for name, t in part.items():
                if weight_map.get(name) != fname:
                    raise ValueError(f"{fname}: tensor {name} not listed for this shard in the index")
                tensors[name] = t
        missing = set(weight_map) - set(tensors)
        if missing:
            raise ValueError(f"index lists tensors absent from the shards: {sorted(missing)[:5]}")
        return tensors
    tensors, _ = read_file(os.path.join(directory, SINGLE_NAME), dtypes)
    return tensors
