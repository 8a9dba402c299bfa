# Tokenizer parity with transformers.js (npm @lenml/tokenizers) on real tokenizer.json files.
if(NODE AND EXISTS ${NEMOTRON_JS_DIR}/node_modules/@lenml/tokenizers)
  add_test(NAME tokenizer_parity
    COMMAND ${NODE} ${CMAKE_CURRENT_LIST_DIR}/tokenizer_parity.mjs
            --cli $<TARGET_FILE:nemotron> --js ${NEMOTRON_JS_DIR}
            --work ${CMAKE_BINARY_DIR}/tokenizer_parity)
  set_tests_properties(tokenizer_parity PROPERTIES TIMEOUT 900)
else()
  message(STATUS "tokenizer_parity test skipped: node or tools/js/node_modules missing (run scripts/install-deps.sh)")
endif()
