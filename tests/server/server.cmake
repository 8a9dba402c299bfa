# End-to-end tests of `nemotron serve` with real clients (the official `openai` npm package and fetch).
# The model is a tiny random-weight text model generated at test time (tools/make_text_model.py) into the build
# directory: a byte-level tokenizer, the Nemotron 3 chat template and special tokens, random weights.
if(NODE AND PYTHON AND EXISTS ${NEMOTRON_JS_DIR}/node_modules/openai)
  set(NEMOTRON_SERVER_TEST_MODEL ${CMAKE_BINARY_DIR}/test_models/tiny-chat)
  add_test(NAME server_test_model
           COMMAND ${PYTHON} ${CMAKE_SOURCE_DIR}/tools/make_text_model.py --out ${NEMOTRON_SERVER_TEST_MODEL})
  set_tests_properties(server_test_model PROPERTIES FIXTURES_SETUP server_model
                       ENVIRONMENT "PYTHONDONTWRITEBYTECODE=1;OMP_NUM_THREADS=1")
  foreach(name api hostile load shutdown)
    add_test(NAME server_${name} COMMAND ${NODE} ${CMAKE_CURRENT_LIST_DIR}/${name}.test.mjs)
    set_tests_properties(server_${name} PROPERTIES
      FIXTURES_REQUIRED server_model
      TIMEOUT 400
      LABELS server
      ENVIRONMENT "NEMOTRON_CLI=$<TARGET_FILE:nemotron>;NEMOTRON_TEST_MODEL=${NEMOTRON_SERVER_TEST_MODEL};NEMOTRON_JS_DIR=${NEMOTRON_JS_DIR}")
  endforeach()
else()
  message(STATUS "server tests skipped: node, python3 or tools/js/node_modules/openai missing")
endif()
