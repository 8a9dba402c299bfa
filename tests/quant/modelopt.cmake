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
