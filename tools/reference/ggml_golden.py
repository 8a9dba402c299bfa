#!/usr/bin/env python3
"""Writes golden test vectors produced by ggml itself (the C library inside the npm package
@node-llama-cpp/linux-x64, loaded with ctypes), so our quantizers, dequantizers, dot products and
GGUF writer are compared against the real implementation, not against our own output.

Outputs (into --out):
  quant/<type>.bin     magic 'NTQG', u32 n_rows, u32 n_per_row, u32 row_bytes,
                       f32 input[n_rows*n_per_row], u8 ggml_quantized[n_rows*row_bytes],
                       f32 ggml_dequantized[n_rows*n_per_row]
  quant/dot_<w>.bin    magic 'NTQD', u32 n_rows, u32 n_per_row, f32 w[..], f32 act[..], f32 ggml_dot[n_rows]
  gguf/ggml_written.gguf  a GGUF file written by ggml's gguf API (every scalar and array type, 3 tensors)

The ggml build used for the committed vectors is the one in @node-llama-cpp/linux-x64 3.22.1
(ggml as of llama.cpp's "v0.5.0" packaging): `npm pack @node-llama-cpp/linux-x64@3.22.1`, unpack,
and pass package/bins/linux-x64 as --ggml-dir. Re-running with the same seed reproduces the files.

Usage: ggml_golden.py --ggml-dir <dir with libggml-base.so, libggml-cpu-x64.so> --out <dir> [--seed N]
"""
import argparse
import ctypes as C
import os
import struct

import numpy as np

QUANT_TYPES = {  # name: (ggml type id, block size, bytes per block)
    "q4_0": (2, 32, 18), "q4_1": (3, 32, 20), "q5_0": (6, 32, 22), "q5_1": (7, 32, 24),
    "q8_0": (8, 32, 34), "q2_K": (10, 256, 84), "q3_K": (11, 256, 110), "q4_K": (12, 256, 144),
    "q5_K": (13, 256, 176), "q6_K": (14, 256, 210),
}
DOTS = {  # weight type: (activation type, ggml vec_dot function)
    "q8_0": ("q8_0", "ggml_vec_dot_q8_0_q8_0_generic"),
    "q4_0": ("q8_0", "ggml_vec_dot_q4_0_q8_0_generic"),
    "q4_K": ("q8_K", "ggml_vec_dot_q4_K_q8_K_generic"),
    "q6_K": ("q8_K", "ggml_vec_dot_q6_K_q8_K_generic"),
}
Q8_K_BYTES = 292


def test_rows(rng, n_per_row):
    """Rows that exercise the corner cases of the scale searches, plus plain random rows."""
    rows = [rng.standard_normal(n_per_row)]
    scaled = rng.standard_normal(n_per_row) * np.repeat(np.exp(rng.standard_normal(n_per_row // 32) * 2), 32)
    rows.append(scaled)
    uni = rng.uniform(-1, 1, n_per_row)
    uni[rng.integers(0, n_per_row, 8)] *= 40.0  # outliers
    rows.append(uni)
    half = np.zeros(n_per_row)
    half[n_per_row // 2:] = 0.75  # all-zero blocks, then constant blocks
    rows.append(half)
    tiny = rng.standard_normal(n_per_row) * 1e-6
    tiny[::7] = 0.0
    rows.append(tiny)
    relu = np.maximum(rng.standard_normal(n_per_row), 0)  # non-negative blocks (min clamps to 0)
    relu[:32] = -np.abs(relu[:32]) - 0.1  # one all-negative block
    rows.append(relu)
    rows.append(rng.standard_normal(n_per_row) * 1e3)
    rows.append(np.round(rng.standard_normal(n_per_row) * 4) / 4)  # many exact ties
    return np.stack(rows).astype(np.float32)


def load(ggml_dir):
    base = C.CDLL(os.path.join(ggml_dir, "libggml-base.so"), mode=C.RTLD_GLOBAL)
    cpu = C.CDLL(os.path.join(ggml_dir, "libggml-cpu-x64.so"))
    cpu.ggml_cpu_init()  # fills the fp16 -> fp32 table the CPU dot products read
    return base, cpu


def fptr(a):
    return a.ctypes.data_as(C.c_void_p)


def write_quant(base, rng, out):
    n_per_row = 512
    x = test_rows(rng, n_per_row)
    for name, (_, bs, bb) in QUANT_TYPES.items():
        row_bytes = n_per_row // bs * bb
        q = np.zeros((x.shape[0], row_bytes), np.uint8)
        deq = np.zeros_like(x)
        quant = getattr(base, f"quantize_row_{name}_ref")
        dequant = getattr(base, f"dequantize_row_{name}")
        for r in range(x.shape[0]):
            quant(fptr(x[r]), fptr(q[r]), C.c_int64(n_per_row))
            dequant(fptr(q[r]), fptr(deq[r]), C.c_int64(n_per_row))
        with open(os.path.join(out, f"{name}.bin"), "wb") as f:
            f.write(b"NTQG" + struct.pack("<III", x.shape[0], n_per_row, row_bytes))
            f.write(x.tobytes() + q.tobytes() + deq.tobytes())


def write_dots(base, cpu, rng, out):
    n_per_row = 1024
    w = test_rows(rng, n_per_row)
    act = rng.standard_normal(w.shape).astype(np.float32)
    act[3] *= 0.0  # an all-zero activation row
    for wname, (aname, fn) in DOTS.items():
        _, bs, bb = QUANT_TYPES[wname]
        abytes = n_per_row // 32 * 34 if aname == "q8_0" else n_per_row // 256 * Q8_K_BYTES
        res = np.zeros(w.shape[0], np.float32)
        for r in range(w.shape[0]):
            qw = np.zeros(n_per_row // bs * bb, np.uint8)
            qa = np.zeros(abytes, np.uint8)
            getattr(base, f"quantize_row_{wname}_ref")(fptr(w[r]), fptr(qw), C.c_int64(n_per_row))
            getattr(base, f"quantize_row_{aname}_ref")(fptr(act[r]), fptr(qa), C.c_int64(n_per_row))
            s = C.c_float(0)
            getattr(cpu, fn)(C.c_int(n_per_row), C.byref(s), C.c_size_t(0), fptr(qw), C.c_size_t(0),
                             fptr(qa), C.c_size_t(0), C.c_int(1))
            res[r] = s.value
        with open(os.path.join(out, f"dot_{wname}.bin"), "wb") as f:
            f.write(b"NTQD" + struct.pack("<II", w.shape[0], n_per_row))
            f.write(w.tobytes() + act.tobytes() + res.tobytes())


class InitParams(C.Structure):
    _fields_ = [("mem_size", C.c_size_t), ("mem_buffer", C.c_void_p), ("no_alloc", C.c_bool)]


def write_gguf(base, path):
    """Mirrors GgufGolden.* in tests/formats/gguf_golden_test.cc: same keys, values, tensors, order."""
    base.gguf_init_empty.restype = C.c_void_p
    base.ggml_init.restype = C.c_void_p
    base.ggml_new_tensor.restype = C.c_void_p
    base.ggml_get_data.restype = C.c_void_p
    base.ggml_init.argtypes = [InitParams]
    ctx = C.c_void_p(base.gguf_init_empty())
    k = lambda s: s.encode()
    base.gguf_set_val_str(ctx, k("general.architecture"), b"nemotron_h")
    base.gguf_set_val_u8(ctx, k("t.u8"), C.c_uint8(200))
    base.gguf_set_val_i8(ctx, k("t.i8"), C.c_int8(-100))
    base.gguf_set_val_u16(ctx, k("t.u16"), C.c_uint16(60000))
    base.gguf_set_val_i16(ctx, k("t.i16"), C.c_int16(-30000))
    base.gguf_set_val_u32(ctx, k("t.u32"), C.c_uint32(4000000000))
    base.gguf_set_val_i32(ctx, k("t.i32"), C.c_int32(-2000000000))
    base.gguf_set_val_f32(ctx, k("t.f32"), C.c_float(1.5))
    base.gguf_set_val_bool(ctx, k("t.bool"), C.c_bool(True))
    base.gguf_set_val_u64(ctx, k("t.u64"), C.c_uint64(1 << 60))
    base.gguf_set_val_i64(ctx, k("t.i64"), C.c_int64(-(1 << 60)))
    base.gguf_set_val_f64(ctx, k("t.f64"), C.c_double(-2.25))
    arr = np.array([0, 2, 0, 8], np.int32)
    base.gguf_set_arr_data(ctx, k("t.arr_i32"), C.c_int(5), fptr(arr), C.c_size_t(4))
    arrf = np.array([0.5, -1.0], np.float32)
    base.gguf_set_arr_data(ctx, k("t.arr_f32"), C.c_int(6), fptr(arrf), C.c_size_t(2))
    strs = (C.c_char_p * 3)(b"<unk>", b"", b"\xc4\xa0hello")
    base.gguf_set_arr_str(ctx, k("t.arr_str"), strs, C.c_size_t(3))

    gctx = C.c_void_p(base.ggml_init(InitParams(1 << 20, None, False)))
    tensors = [("token_embd.weight", 0, [3, 2]), ("blk.0.ssm_a", 1, [5]), ("output.weight", 8, [64, 2])]
    for name, typ, ne in tensors:
        ne_arr = (C.c_int64 * len(ne))(*ne)
        t = C.c_void_p(base.ggml_new_tensor(gctx, C.c_int(typ), C.c_int(len(ne)), ne_arr))
        base.ggml_set_name(t, name.encode())
        nbytes = base.ggml_nbytes(t)
        data = (C.c_uint8 * nbytes).from_address(base.ggml_get_data(t))
        for i in range(nbytes):
            data[i] = (i * 7 + len(name)) & 0xFF  # the same byte pattern the C++ test writes
        base.gguf_add_tensor(ctx, t)
    base.gguf_write_to_file(ctx, path.encode(), C.c_bool(False))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ggml-dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1234)
    a = p.parse_args()
    base, cpu = load(a.ggml_dir)
    base.ggml_nbytes.restype = C.c_size_t
    rng = np.random.default_rng(a.seed)
    os.makedirs(os.path.join(a.out, "quant"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "gguf"), exist_ok=True)
    write_quant(base, rng, os.path.join(a.out, "quant"))
    write_dots(base, cpu, rng, os.path.join(a.out, "quant"))
    write_gguf(base, os.path.join(a.out, "gguf", "ggml_written.gguf"))


if __name__ == "__main__":
    main()
