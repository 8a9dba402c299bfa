"""The golden fixture cases: config.json contents and storage choices of each tiny checkpoint.

Each case is a dict:
  config      the config.json written verbatim (aliases and inert fields on purpose)
  dtype       storage dtype of the weights (e_score_correction_bias is always F32)
  keep_f32    canonical-name suffixes stored F32 even in a half-precision checkpoint
  prefix      "backbone." or "model."
  experts     "per_expert" (experts.{e}.up_proj.weight) or "stacked" (experts.up_proj [E, I_e, D_x])
  shards      0 = single model.safetensors, n = n shards + index
  prompt_len  tokens of the golden prompt; greedy_prompt_len tokens of the greedy prompt
  mtp         write some mtp.* tensors that the loader must ignore
  seed        numpy seed for the weights and the prompt
  quant       None, or a ModelOpt quantization of the Linear weights (modelopt_ref.quantize_tensors):
              {"algo", "exclude" (fnmatch patterns), "hf_quant" (write hf_quant_config.json),
               "kv_scales" (attention k_scale / v_scale tensors), "dequant_tensor" (written dequantized
               to dequantized.npy for the bit-exact row test), "table" (e4m3 or e2m1: value table .npy)}
"""
import math

import torch

_COMMON = {
    "architectures": ["NemotronHForCausalLM"],
    "model_type": "nemotron_h",
    "tie_word_embeddings": False,
    "attention_bias": False,
    "mlp_bias": False,
    "use_bias": False,
    "use_conv_bias": True,
    "residual_in_fp32": False,
    "mamba_hidden_act": "silu",
    "layer_norm_epsilon": 1e-5,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "pad_token_id": 0,
    "max_position_embeddings": 4096,
}


def _dense_config():
    c = dict(_COMMON)
    c.update({
        "hybrid_override_pattern": "M*-M-*-",
        "num_hidden_layers": 7,
        "hidden_size": 64,
        "vocab_size": 256,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 24,               # != hidden_size / num_attention_heads (= 16): catches H/n_h shortcuts
        "intermediate_size": 96,
        "mlp_hidden_act": "relu2",
        "mamba_num_heads": 6,
        "mamba_head_dim": 64,
        "ssm_state_size": 16,
        "n_groups": 2,
        "conv_kernel": 4,
        "chunk_size": 8,
        "expand": 2,                  # inert: d_in = mamba_num_heads * mamba_head_dim = 384, not 2*64
        "rope_theta": 10000,          # inert: no positional encoding
        "time_step_min": 0.001,
        "time_step_max": 0.1,
        "torch_dtype": "float32",
    })
    return c


def _p80_config():
    c = dict(_COMMON)
    del c["layer_norm_epsilon"]
    c.update({
        "layers_block_type": ["linear_attention", "full_attention", "mlp", "mamba", "attention", "mlp"],
        "hidden_size": 32,
        "vocab_size": 128,
        "num_attention_heads": 4,
        "num_key_value_heads": None,  # null -> n_h
        "attention_head_dim": 16,     # older key name
        "intermediate_size": 64,
        "hidden_act": "relu2",        # older key name
        "rms_norm_eps": 1e-5,         # alias of layer_norm_epsilon
        "mamba_num_heads": 8,
        "mamba_head_dim": 80,
        "ssm_state_size": 8,
        "mamba_n_groups": 4,
        "mamba_d_conv": 4,
        "mamba_chunk_size": 16,
        "time_step_limit": [0.0, math.inf],  # json.dump writes the literal Infinity
        "torch_dtype": "bfloat16",
    })
    return c


def _moe_config():
    c = dict(_COMMON)
    c.update({
        "hybrid_override_pattern": "MEM*E",
        "num_hidden_layers": 5,
        "hidden_size": 32,
        "vocab_size": 128,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 8,
        "intermediate_size": 64,
        "mlp_hidden_act": "relu2",
        "mamba_num_heads": 4,
        "mamba_head_dim": 16,
        "ssm_state_size": 8,
        "n_groups": 2,
        "conv_kernel": 4,
        "chunk_size": 8,
        "n_routed_experts": 8,
        "num_experts_per_tok": 3,
        "moe_intermediate_size": 16,
        "moe_shared_expert_intermediate_size": 24,
        "n_shared_experts": 1,
        "n_group": 2,
        "topk_group": 1,
        "norm_topk_prob": True,
        "routed_scaling_factor": 2.5,
        "moe_latent_size": None,
        "num_nextn_predict_layers": 1,
        "mtp_hybrid_override_pattern": "*E",
        "torch_dtype": "float32",
    })
    return c


def _latent_config():
    c = _moe_config()
    c.update({
        "hybrid_override_pattern": "ME*E",
        "num_hidden_layers": 4,
        "num_local_experts": 8,       # alias of n_routed_experts
        "num_experts_per_tok": 2,
        "n_group": 1,
        "topk_group": 1,
        "norm_topk_prob": False,
        "routed_scaling_factor": 1.5,
        "moe_latent_size": 16,
        "num_nextn_predict_layers": 0,
        "time_step_limit": [0.0, {"__float__": "Infinity"}],  # transformers-5 serialization
        "torch_dtype": "float16",
    })
    del c["n_routed_experts"], c["mtp_hybrid_override_pattern"]
    return c


def _tiny_config(kernel):
    c = dict(_COMMON)
    c.update({
        "hybrid_override_pattern": "M*M-",
        "num_hidden_layers": 4,
        "hidden_size": 32,
        "vocab_size": 64,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": 16,
        "intermediate_size": 48,
        "mlp_hidden_act": "relu2",
        "mamba_num_heads": 4,
        "mamba_head_dim": 16,
        "ssm_state_size": 8,
        "n_groups": 1,
        "conv_kernel": kernel,
        "chunk_size": 4,
        "torch_dtype": "float32",
    })
    return c


def _fp8_case():
    """FP8 (per-tensor) described by hf_quant_config.json only (legacy layout, exclude_modules): the
    attention layers, lm_head, conv1d and the first Mamba layer stay BF16; Mamba layer 3 and the MLPs
    are FP8."""
    c = dict(_dense_config(), torch_dtype="bfloat16")
    exclude = ["lm_head", "*.mixer.conv1d*", "backbone.layers.0.mixer*", "backbone.layers.1.mixer.*",
               "backbone.layers.5.mixer.?_proj"]
    return _case("modelopt_fp8", c, dtype=torch.bfloat16, seed=1011,
                 quant={"algo": "FP8", "exclude": exclude, "hf_quant": True, "in_config": False, "kv_scales": False,
                        "dequant_tensor": "backbone.layers.2.mixer.up_proj.weight", "table": "e4m3"})


def _nvfp4_case():
    """NVFP4 described in config.json (quantization_config with `ignore`) and hf_quant_config.json, as
    the released checkpoints ship both; FP8 KV-cache scales on the attention layer; MoE experts,
    shared expert and Mamba projections quantized, attention / router / lm_head BF16 (router bias F32)."""
    c = _moe_config()
    c.update({"moe_shared_expert_intermediate_size": 32, "num_nextn_predict_layers": 0, "torch_dtype": "bfloat16"})
    del c["mtp_hybrid_override_pattern"]
    exclude = ["lm_head", "*mixer.conv1d*", "*mixer.gate", "backbone.layers.3.mixer.*"]
    c["quantization_config"] = {"quant_method": "modelopt", "quant_algo": "NVFP4", "group_size": 16,
                                "kv_cache_quant_algo": "FP8", "ignore": exclude,
                                "producer": {"name": "nemotron.cpp reference fixtures"}}
    return _case("modelopt_nvfp4", c, dtype=torch.bfloat16, seed=1012, prompt_len=21,
                 quant={"algo": "NVFP4", "exclude": exclude, "hf_quant": True, "in_config": True, "kv_scales": True,
                        "dequant_tensor": "backbone.layers.0.mixer.in_proj.weight", "table": "e2m1"})


def _case(name, config, **kw):
    case = {"name": name, "config": config, "dtype": torch.float32, "keep_f32": (), "prefix": "backbone.",
            "experts": "per_expert", "shards": 0, "prompt_len": 19, "greedy_prompt_len": 7, "mtp": False, "seed": 0,
            "quant": None}
    case.update(kw)
    return case


def all_cases():
    bf16 = dict(_dense_config(), torch_dtype="bfloat16")
    return [
        _case("dense_f32", _dense_config(), seed=1001),
        _case("dense_bf16", bf16, dtype=torch.bfloat16, seed=1001),
        _case("mamba_p80_sharded", _p80_config(), dtype=torch.bfloat16, shards=3, prompt_len=37,
              greedy_prompt_len=13, seed=1003),
        _case("moe_f32", _moe_config(), mtp=True, seed=1004),
        _case("moe_latent_stacked", _latent_config(), dtype=torch.float16, prefix="model.", experts="stacked",
              keep_f32=("A_log", "D", "dt_bias"), prompt_len=21, seed=1005),
        _case("tiny_conv_k3", _tiny_config(3), prompt_len=1, greedy_prompt_len=1, seed=1006),
        _case("tiny_conv_k4_t2", _tiny_config(4), prompt_len=2, greedy_prompt_len=2, seed=1007),
        _fp8_case(),
        _nvfp4_case(),
    ]
