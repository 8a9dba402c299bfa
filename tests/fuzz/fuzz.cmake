# libFuzzer targets, one per input surface, built only with clang and -DNEMOTRON_FUZZ=ON (together with
# -DNEMOTRON_SANITIZE=ON, so every run is also an ASan + UBSan run). docs/SECURITY.md explains them.
#
#   fuzz_config          config.json text                        seeds: tests/fuzz/config/
#   fuzz_safetensors     safetensors file bytes (header + data)  seeds: tests/fuzz/safetensors/
#   fuzz_gguf            GGUF file bytes → model                 seeds: tests/fuzz/gguf/
#   fuzz_tokenizer_json  tokenizer.json text → tokenizer         seeds: tests/fuzz/tokenizer_json/
#   fuzz_tokenize        bytes → bundled tokenizer → text        seeds: tests/fuzz/tokenize/
#   fuzz_chat_template   template source and/or messages JSON    seeds: tests/fuzz/chat_template/
#   fuzz_openai_request  HTTP request body → request → prompt    seeds: tests/fuzz/openai_request/
#
# Build and run one for ten minutes (new inputs go to the scratch directory, the seeds stay untouched):
#   CC=clang CXX=clang++ cmake -S . -B build-asan -DNEMOTRON_SANITIZE=ON -DNEMOTRON_FUZZ=ON -DNEMOTRON_BUILD_TESTS=ON
#   cmake --build build-asan --target fuzz_config
#   mkdir -p /tmp/corpus-config && build-asan/bin/fuzz_config -dict=tests/fuzz/json.dict -max_total_time=600 \
#       /tmp/corpus-config tests/fuzz/config
#
# With NEMOTRON_FUZZ=ON every target is also a ctest test (label "fuzz"): a smoke run of a few seconds over a
# scratch copy of its seeds; any crash, sanitizer report, leak, timeout or out-of-memory fails it.
option(NEMOTRON_FUZZ "Build libFuzzer targets (clang only)" OFF)
set(NEMOTRON_FUZZ_SMOKE_SECONDS 8 CACHE STRING "Seconds each fuzz target runs as a ctest smoke test")
if(NEMOTRON_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "NEMOTRON_FUZZ needs clang (found ${CMAKE_CXX_COMPILER_ID})")
  endif()
  # Coverage instrumentation for the library code under test (the fuzzers themselves link libFuzzer). The
  # numeric kernels (ops, quant, model blocks) are left out: no input parsing happens there, and instrumenting
  # them would only slow down the rest of the test suite, which runs on the same build.
  foreach(src IN LISTS NEMOTRON_SOURCES)
    if(NOT src MATCHES "/src/(ops|quant|model/blocks)/")
      get_source_file_property(opts ${src} DIRECTORY ${CMAKE_SOURCE_DIR} COMPILE_OPTIONS)
      if(NOT opts)
        set(opts "")
      endif()
      set_source_files_properties(${src} DIRECTORY ${CMAKE_SOURCE_DIR} PROPERTIES
                                  COMPILE_OPTIONS "${opts};-fsanitize=fuzzer-no-link")
    endif()
  endforeach()
  set(NEMOTRON_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
  set(NEMOTRON_FUZZ_TARGETS config safetensors gguf tokenizer_json tokenize chat_template openai_request)
  foreach(t IN LISTS NEMOTRON_FUZZ_TARGETS)
    add_executable(fuzz_${t} ${NEMOTRON_FUZZ_DIR}/fuzz_${t}.cc)
    target_compile_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
    target_compile_definitions(fuzz_${t} PRIVATE NEMOTRON_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    target_link_libraries(fuzz_${t} PRIVATE nemotron_lib)
    set(dict "")
    if(EXISTS ${NEMOTRON_FUZZ_DIR}/${t}.dict)
      set(dict -dict=${NEMOTRON_FUZZ_DIR}/${t}.dict)
    endif()
    add_test(NAME fuzz_smoke_${t}
      COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
              sh ${NEMOTRON_FUZZ_DIR}/smoke.sh $<TARGET_FILE:fuzz_${t}> ${NEMOTRON_FUZZ_DIR}/${t}
              ${CMAKE_BINARY_DIR}/fuzz-smoke/${t} ${NEMOTRON_FUZZ_SMOKE_SECONDS} ${dict})
    set_tests_properties(fuzz_smoke_${t} PROPERTIES LABELS fuzz TIMEOUT 300)
  endforeach()
endif()
