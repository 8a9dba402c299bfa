# GGUF files written by `nemotron quantize` and `nemotron synth` load in llama.cpp (the prebuilt CPU libllama
# of node-llama-cpp, tools/js) and give the same logits / greedy ids as nemotron.cpp on the same file.
# Fails on any disagreement or refusal; skips (exit 77, with the reason) only when node-llama-cpp or its
# linux-x64 binary is not installed. Label: interop.
if(NODE)
  add_test(NAME gguf_llama_cpp_interop
           COMMAND ${NODE} ${NEMOTRON_JS_DIR}/llama_cpp_interop.mjs --nemotron $<TARGET_FILE:nemotron>
                   --root ${CMAKE_SOURCE_DIR} --tmp ${CMAKE_CURRENT_BINARY_DIR}/llama_cpp_interop)
  set_tests_properties(gguf_llama_cpp_interop PROPERTIES LABELS "interop;gguf" SKIP_RETURN_CODE 77 TIMEOUT 900
                       ENVIRONMENT "NODE_LLAMA_CPP_SKIP_DOWNLOAD=true")
else()
  message(WARNING "gguf_llama_cpp_interop not registered: needs node and 'npm ci' in ${NEMOTRON_JS_DIR}")
endif()
