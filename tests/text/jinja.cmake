# Chat-template parity: nemotron render vs the reference renderer (npm @huggingface/jinja).
if(NODE AND EXISTS ${NEMOTRON_JS_DIR}/node_modules/@huggingface/jinja)
  add_test(NAME jinja_parity
           COMMAND ${NODE} ${CMAKE_CURRENT_LIST_DIR}/jinja_parity.mjs $<TARGET_FILE:nemotron> ${NEMOTRON_JS_DIR})
  set_tests_properties(jinja_parity PROPERTIES TIMEOUT 120)
else()
  message(WARNING "jinja_parity not registered: needs node and 'npm ci' in ${NEMOTRON_JS_DIR}")
endif()
