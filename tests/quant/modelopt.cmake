# `nemotron quantize` to ModelOpt FP8 / NVFP4, read back by the independent Python reference: the engine's logits
# on the written checkpoint equal the reference's (which dequantizes the files from the spec) within 1e-4, and
# the reference finds the expected weight / scale tensors for every quantized module.
if(PYTHON)
  foreach(type fp8 fp8_per_channel nvfp4 w4a16_nvfp4)
    add_test(NAME modelopt_export_reference_${type}
             COMMAND ${PYTHON} ${CMAKE_SOURCE_DIR}/tools/reference/check_modelopt_export.py
                     --cli $<TARGET_FILE:nemotron> --model ${CMAKE_SOURCE_DIR}/tests/fixtures/moe_f32 --type ${type}
                     --work ${CMAKE_BINARY_DIR}/modelopt_export_${type})
    set_tests_properties(modelopt_export_reference_${type} PROPERTIES
                         ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;OMP_NUM_THREADS=1" LABELS reference)
  endforeach()
endif()

# `nemotron synth --type fp8|nvfp4` straight to a sharded ModelOpt directory (the 8B shape at 1/32, the 30B-A3B MoE
# shape at 1/64, 1 MB shards), read back by the same reference: tensors, scales, index and logits within 1e-4.
if(PYTHON)
  foreach(spec "fp8;Nemotron-H-8B;0.03125" "nvfp4;NVIDIA-Nemotron-3-Nano-30B-A3B;0.015625")
    list(GET spec 0 type)
    list(GET spec 1 config)
    list(GET spec 2 scale)
    add_test(NAME modelopt_synth_reference_${type}
             COMMAND ${PYTHON} ${CMAKE_SOURCE_DIR}/tools/reference/check_modelopt_export.py
                     --cli $<TARGET_FILE:nemotron> --synth-config ${CMAKE_SOURCE_DIR}/configs/${config}.json
                     --scale ${scale} --max-shard-mb 1 --type ${type} --work ${CMAKE_BINARY_DIR}/modelopt_synth_${type})
    set_tests_properties(modelopt_synth_reference_${type} PROPERTIES
                         ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;OMP_NUM_THREADS=1" LABELS reference)
  endforeach()
endif()
