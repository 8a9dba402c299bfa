# libFuzzer targets, built only with clang and -DNEMOTRON_FUZZ=ON (combine with -DNEMOTRON_SANITIZE=ON):
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DNEMOTRON_FUZZ=ON -DNEMOTRON_SANITIZE=ON
#   cmake --build build-fuzz --target gguf_fuzz
#   build-fuzz/bin/gguf_fuzz -max_len=65536 -max_total_time=300 <scratch corpus dir> tests/fuzz/corpus/gguf
option(NEMOTRON_FUZZ "Build libFuzzer targets (clang only)" OFF)
if(NEMOTRON_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "NEMOTRON_FUZZ needs clang (found ${CMAKE_CXX_COMPILER_ID})")
  endif()
  # Coverage instrumentation for the library code under test (the fuzzer itself links libFuzzer).
  target_compile_options(nemotron_lib PRIVATE -fsanitize=fuzzer-no-link)
  add_executable(gguf_fuzz ${CMAKE_CURRENT_LIST_DIR}/gguf_fuzz.cc)
  target_compile_options(gguf_fuzz PRIVATE -fsanitize=fuzzer)
  target_link_options(gguf_fuzz PRIVATE -fsanitize=fuzzer)
  target_link_libraries(gguf_fuzz PRIVATE nemotron_lib)
endif()
